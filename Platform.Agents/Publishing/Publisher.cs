using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Platform.Agents.Health;
using Platform.Agents.Spool;

namespace Platform.Agents.Publishing;

/// <summary>
/// The delivery half of the tick pipeline. Collectors write encoded batches into a channel; one loop
/// appends each to the <see cref="DiskSpool"/> (then runs the record's after-spool action, e.g. saving log
/// positions), reads the spool in order, hands records to the transport (at most
/// <see cref="MaxInFlight"/> at a time) and commits the spool as deliveries are acknowledged.
/// <para>
/// A failed delivery stops sending; when every record handed over has reported back, the loop rewinds the
/// spool to the oldest unacknowledged record and sends again from there, in order, skipping records that
/// were acknowledged meanwhile (the other topic's), after a back-off of up to <see cref="MaxBackoff"/>.
/// So an outage costs nothing that fits the spool, and a sample is neither reordered nor duplicated by it.
/// </para>
/// <para>
/// The queue in front of the spool holds at most <see cref="QueueCapacity"/> batches: the collection loop
/// waits for room (<see cref="EnqueueAsync"/>), so a stalled disk pauses collection instead of growing memory;
/// <see cref="TryEnqueue"/> drops and counts instead. A failing spool read or commit-file write (disk full,
/// I/O error) is logged and counted (<see cref="AgentCounters.SpoolErrors"/>) and tried again after a back-off;
/// the loop never ends before <see cref="StopAsync"/>.
/// </para>
/// </summary>
internal sealed class Publisher : IAsyncDisposable
{
    internal const int MaxInFlight = 1000;
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>Batches queued for the spool at most (about a minute of ticks at the default interval).</summary>
    internal const int QueueCapacity = 64;

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private readonly SemaphoreSlim _queueSlots = new(QueueCapacity, QueueCapacity);

    private readonly Channel<PipelineEvent> _events = Channel.CreateUnbounded<PipelineEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DiskSpool _spool;
    private readonly Func<ITransport> _transportFactory;
    private readonly AgentCounters _counters;
    private readonly ILogger _logger;
    private readonly SortedSet<ulong> _sent = [];
    private readonly SortedSet<ulong> _failed = [];
    private readonly HashSet<ulong> _acknowledged = [];
    private Action<ulong, DeliveryOutcome, string?> _onResult;
    private readonly CancellationTokenSource _stop = new();
    private ITransport _transport;
    private int _generation;
    private ulong _readUpTo;
    private long _retryAtTicks;
    private TimeSpan _backoff = FirstBackoff;
    private bool _rewindPending;
    private long _lastDroppedReported;
    private bool _wasDown;
    private Task? _loop;
    private Task? _waker;

    public Publisher(DiskSpool spool, Func<ITransport> transportFactory, AgentCounters counters, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(transportFactory);
        _spool = spool;
        _transportFactory = transportFactory;
        _counters = counters;
        _logger = logger;
        _transport = transportFactory();
        _readUpTo = spool.Committed;
        _onResult = MakeCallback(0);
        if (spool.TruncatedAtRecovery > 0)
        {
            Log.SpoolTruncated(logger, spool.TruncatedAtRecovery);
        }

        UpdateSpoolCounters();
    }

    private Action<ulong, DeliveryOutcome, string?> MakeCallback(int generation) =>
        (id, outcome, error) => _events.Writer.TryWrite(PipelineEvent.Result(id, outcome, error, generation));

    /// <summary>Records appended to the spool so far by this publisher.</summary>
    public long Appended { get; private set; }

    /// <summary>The transport in use (tests look at the null transport's counts).</summary>
    internal ITransport Transport => _transport;

    public void Start()
    {
        _loop = Task.Run(() => RunAsync(_stop.Token));
        _waker = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    _events.Writer.TryWrite(PipelineEvent.Wake);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    /// <summary>Queues a batch for the spool, waiting while the queue is full.</summary>
    public async ValueTask EnqueueAsync(OutgoingRecord record, CancellationToken cancellationToken)
    {
        await _queueSlots.WaitAsync(cancellationToken);
        if (!_events.Writer.TryWrite(PipelineEvent.Record(record)))
        {
            _queueSlots.Release();
        }
    }

    /// <summary>Queues a batch for the spool without waiting; false (the batch dropped and counted) when the queue is full.</summary>
    public bool TryEnqueue(OutgoingRecord record)
    {
        if (!_queueSlots.Wait(0))
        {
            _counters.Dropped(1);
            Log.QueueFull(_logger, record.Topic.ToString());
            return false;
        }

        if (!_events.Writer.TryWrite(PipelineEvent.Record(record)))
        {
            _queueSlots.Release();
            return false;
        }

        return true;
    }

    /// <summary>Waits until everything queued so far is spooled (tests and shutdown).</summary>
    public Task DrainToSpoolAsync() => BarrierAsync();

    /// <summary>Completes when the loop has handled every event queued before it; true when nothing is left to deliver.</summary>
    private Task<bool> BarrierAsync()
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _events.Writer.TryWrite(PipelineEvent.Barrier(done));
        return done.Task;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _events.Reader;
        var failureBackoff = FirstBackoff;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var e))
                {
                    try
                    {
                        Handle(e);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        _counters.SpoolError();
                        Log.CollectorFailed(_logger, "spool", ex.Message);
                    }
                }

                try
                {
                    Pump();
                    _spool.PersistCommit();
                    UpdateSpoolCounters();
                    failureBackoff = FirstBackoff;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A spool read or the commit file failed (disk full, I/O error): the state in memory is
                    // intact (the cursor only moves past a record read whole), so try again after a back-off.
                    _counters.SpoolError();
                    Log.SpoolFailed(_logger, ex.Message, failureBackoff.TotalMilliseconds);
                    await Task.Delay(failureBackoff, cancellationToken);
                    failureBackoff = TimeSpan.FromTicks(Math.Min(failureBackoff.Ticks * 2, MaxBackoff.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Handle(in PipelineEvent e)
    {
        switch (e.Kind)
        {
            case PipelineEventKind.Record:
                _queueSlots.Release();
                try
                {
                    _spool.Append(e.Outgoing.Topic, e.Outgoing.Key, e.Outgoing.Value);
                    Appended++;
                    _counters.Spooled();
                    e.Outgoing.OnSpooled?.Invoke();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    // A full or unwritable disk: the batch is lost, counted as dropped.
                    _counters.Dropped(1);
                    Log.CollectorFailed(_logger, "spool", ex.Message);
                }

                break;
            case PipelineEventKind.Result:
                OnResult(e.Id, e.Outcome, e.Error, e.Generation);
                break;
            case PipelineEventKind.Barrier:
                e.Done!.TrySetResult(_sent.Count == 0 && !_rewindPending && _spool.PendingRecords == 0);
                break;
            default:
                break;
        }
    }

    private void OnResult(ulong id, DeliveryOutcome outcome, string? error, int generation)
    {
        if (generation != _generation || !_sent.Remove(id))
        {
            return; // from a replaced client: its records were already queued again
        }

        switch (outcome)
        {
            case DeliveryOutcome.Delivered:
                _acknowledged.Add(id);
                _counters.Published();
                _counters.SetBrokerReachable(true);
                if (_wasDown)
                {
                    _wasDown = false;
                    Log.BrokerBack(_logger, _spool.PendingRecords);
                }

                _backoff = FirstBackoff;
                break;
            case DeliveryOutcome.Rejected:
                _acknowledged.Add(id);
                _counters.PublishError();
                _counters.Dropped(1);
                Log.DeliveryRejected(_logger, id, error ?? "");
                break;
            default:
                _failed.Add(id);
                _counters.PublishError();
                _counters.SetBrokerReachable(false);
                if (!_rewindPending)
                {
                    _rewindPending = true;
                    _wasDown = true;
                    _retryAtTicks = Environment.TickCount64 + (long)_backoff.TotalMilliseconds;
                    Log.DeliveryRetry(_logger, _backoff.TotalMilliseconds, error ?? outcome.ToString());
                    _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
                }

                break;
        }
    }

    private void Pump()
    {
        if (_transport.IsBroken)
        {
            ReplaceTransport();
        }

        if (_rewindPending)
        {
            if (_sent.Count > 0 || Environment.TickCount64 < _retryAtTicks)
            {
                Commit();
                return; // wait for every record handed over to report back, then for the back-off
            }

            // Failed records the size bound deleted meanwhile cannot be sent again: they are lost.
            var oldest = _spool.OldestId;
            long lost = 0;
            foreach (var id in _failed)
            {
                if (id >= oldest)
                {
                    break;
                }

                lost++;
            }

            if (lost > 0)
            {
                _counters.Dropped(lost);
            }

            var from = _failed.Count > 0 ? _failed.Min : _readUpTo;
            _failed.Clear();
            _spool.Rewind(from);
            _readUpTo = from;
            _rewindPending = false;
        }

        while (_sent.Count < MaxInFlight && _spool.TryReadNext(out var entry))
        {
            _readUpTo = entry.Id + 1;
            if (_acknowledged.Contains(entry.Id))
            {
                continue;
            }

            _sent.Add(entry.Id);
            _transport.Send(entry, _onResult);
        }

        Commit();
        var dropped = _spool.DroppedRecords;
        if (dropped != _lastDroppedReported)
        {
            _counters.Dropped(dropped - _lastDroppedReported);
            _lastDroppedReported = dropped;
            Log.SpoolDropped(_logger, dropped);
        }
    }

    private void Commit()
    {
        var low = _readUpTo;
        if (_sent.Count > 0)
        {
            low = Math.Min(low, _sent.Min);
        }

        if (_failed.Count > 0)
        {
            low = Math.Min(low, _failed.Min);
        }

        _spool.Commit(low);
        if (_acknowledged.Count > 0)
        {
            _acknowledged.RemoveWhere(id => id < low);
        }
    }

    private void ReplaceTransport()
    {
        foreach (var id in _sent)
        {
            _failed.Add(id);
        }

        _sent.Clear();
        _generation++;
        _onResult = MakeCallback(_generation);
        var old = _transport;
        _ = Task.Run(old.Dispose);
        _transport = _transportFactory();
        _rewindPending = true;
        _retryAtTicks = Environment.TickCount64;
    }

    private void UpdateSpoolCounters() => _counters.SetSpool(_spool.Bytes, _spool.PendingRecords);

    /// <summary>Stops the loop after spooling what is queued and giving in-flight records <paramref name="flushTimeout"/> to be acknowledged.</summary>
    public async Task StopAsync(TimeSpan flushTimeout)
    {
        if (_loop is null)
        {
            return;
        }

        await DrainToSpoolAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var deadline = Environment.TickCount64 + (long)flushTimeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            // A barrier after a wake-up: the loop pumps, then reports whether anything is still undelivered.
            _events.Writer.TryWrite(PipelineEvent.Wake);
            if (await BarrierAsync())
            {
                break;
            }

            await Task.Delay(50);
        }

        await _stop.CancelAsync();
        await _loop;
        if (_waker is not null)
        {
            await _waker;
        }

        _loop = null;
        Commit();
        _spool.PersistCommit();
        UpdateSpoolCounters();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        _transport.Dispose();
        _stop.Dispose();
        _queueSlots.Dispose();
    }
}

/// <summary>An encoded batch on its way to the spool.</summary>
/// <param name="Topic">metrics or logs.</param>
/// <param name="Key">The record key (UTF-8 host id).</param>
/// <param name="Value">The encoded batch.</param>
/// <param name="OnSpooled">Runs right after the record is on disk (log tailers save their positions here).</param>
internal readonly record struct OutgoingRecord(SpoolTopic Topic, byte[] Key, byte[] Value, Action? OnSpooled = null);

internal enum PipelineEventKind
{
    Wake,
    Record,
    Result,
    Barrier,
}

internal readonly record struct PipelineEvent(PipelineEventKind Kind, OutgoingRecord Outgoing, ulong Id, DeliveryOutcome Outcome, string? Error, int Generation, TaskCompletionSource<bool>? Done)
{
    public static PipelineEvent Wake => default;

    public static PipelineEvent Record(OutgoingRecord record) => new(PipelineEventKind.Record, record, 0, default, null, 0, null);

    public static PipelineEvent Result(ulong id, DeliveryOutcome outcome, string? error, int generation) => new(PipelineEventKind.Result, default, id, outcome, error, generation, null);

    public static PipelineEvent Barrier(TaskCompletionSource<bool> done) => new(PipelineEventKind.Barrier, default, 0, default, null, 0, done);
}
