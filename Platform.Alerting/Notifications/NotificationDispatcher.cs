using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications;

/// <summary>
/// Hands notifications to their channels. Every channel has its own queue (<see cref="Channel{T}"/>) and worker, so a
/// slow or failing channel never delays another one, nor evaluation (enqueueing never blocks: a full queue drops its
/// oldest entry, recorded in the delivery log as a final failure). Failed deliveries are retried with exponential
/// backoff; every attempt lands in the delivery log. Every notification is kept in the <see cref="Outbox"/> until it is
/// final on each of its channels, so a restart resumes what was still retrying.
/// </summary>
internal sealed partial class NotificationDispatcher : IAsyncDisposable
{
    private const int QueueCapacity = 1000;

    /// <summary>How long stopping waits for deliveries still in progress; what is left stays in the outbox.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private readonly Dictionary<ChannelType, INotificationSender> _senders;
    private readonly Func<string, NotificationChannel?> _channels;
    private readonly AlertingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Worker> _workers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    public NotificationDispatcher(IEnumerable<INotificationSender> senders, Func<string, NotificationChannel?> channels,
        AlertingOptions options, TimeProvider time, ILogger logger)
    {
        _senders = senders.ToDictionary(s => s.Type);
        _channels = channels;
        _options = options;
        _time = time;
        _logger = logger;
        var directory = options.StateDirectory is { Length: > 0 } dir ? dir : null;
        Log = new DeliveryLog(directory is null ? null : Path.Combine(directory, "deliveries"));
        Outbox = new NotificationOutbox(directory is null ? null : Path.Combine(directory, "outbox"));
    }

    public DeliveryLog Log { get; }

    public NotificationOutbox Outbox { get; }

    /// <summary>Notifications dropped from a full channel queue since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _dropped;

    /// <summary>Keeps the notification in the outbox (on disk), then queues it on each of its channels; never blocks.</summary>
    public void Dispatch(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        Outbox.Add(notification);
        Enqueue(notification, notification.Channels);
    }

    /// <summary>Queues again what the outbox kept from the previous run (the channels table must be loaded).</summary>
    public int ReplayOutbox()
    {
        var entries = Outbox.Load();
        foreach (var entry in entries)
        {
            var channels = string.Join(", ", entry.Channels);
            LogReplayed(_logger, entry.Notification.Id, channels);
            Enqueue(entry.Notification, [.. entry.Channels]);
        }

        return entries.Count;
    }

    private void Enqueue(Notification notification, IReadOnlyList<string> channels)
    {
        foreach (var channelId in channels)
        {
            var worker = _workers.GetOrAdd(channelId, id => new Worker(this, id));
            worker.Queue.Writer.TryWrite(notification); // never false: a full queue drops its oldest (OnDropped)
        }
    }

    /// <summary>A full queue dropped its oldest notification: a final failure in the delivery log.</summary>
    private void OnDropped(string channelId, Notification notification)
    {
        Interlocked.Increment(ref _dropped);
        LogDropped(_logger, channelId, notification.Id);
        Log.Add(new DeliveryRecord
        {
            ChannelId = channelId,
            NotificationId = notification.Id,
            Title = notification.Title,
            At = _time.GetUtcNow(),
            Attempt = 0,
            Success = false,
            Final = true,
            Error = $"dropped: the channel's queue was full ({QueueCapacity} notifications waiting)",
        });
        Service.AlertingMetrics.Deliveries.WithLabels(channelId, "dropped").Inc();
        Outbox.Complete(notification.Id, channelId);
    }

    /// <summary>Sends a test notification to a channel at once (one attempt, no retries) and logs it.</summary>
    public async Task<DeliveryRecord> SendTestAsync(NotificationChannel channel, string requestedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var now = _time.GetUtcNow();
        var notification = new Notification
        {
            Id = $"test-{now.ToUnixTimeMilliseconds()}",
            GroupKey = "test",
            RuleId = "test",
            RuleName = "Test notification",
            Severity = AlertSeverity.Info,
            Status = "firing",
            Reason = NotificationReason.Test,
            At = now,
            Channels = [channel.Id],
            Title = $"[TEST] Notification channel '{channel.Name}' works",
            Text = $"A test notification requested by {requestedBy}.",
            Alerts = [],
        };
        return await AttemptAsync(channel, notification, attempt: 1, final: true, cancellationToken);
    }

    private async Task<DeliveryRecord> AttemptAsync(NotificationChannel channel, Notification notification, int attempt, bool final,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        DeliveryRecord record;
        try
        {
            if (!_senders.TryGetValue(channel.Type, out var sender))
            {
                throw new DeliveryException($"no sender for channel type {channel.Type}", retryable: false);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.DeliveryTimeout);
            var status = await sender.SendAsync(channel, notification, timeout.Token);
            record = Record(channel, notification, attempt, success: true, final: true, status, null, clock.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var retryable = e is not DeliveryException { Retryable: false };
            var message = e is OperationCanceledException ? $"timed out after {_options.DeliveryTimeout.TotalSeconds:0.#} s" : e.Message;
            record = Record(channel, notification, attempt, success: false, final: final || !retryable, null, message, clock.Elapsed);
            LogAttemptFailed(_logger, channel.Id, notification.Id, attempt, message);
        }

        Log.Add(record);
        Service.AlertingMetrics.Deliveries.WithLabels(channel.Id, record.Success ? "success" : "failure").Inc();
        return record;
    }

    private DeliveryRecord Record(NotificationChannel channel, Notification n, int attempt, bool success, bool final, string? status,
        string? error, TimeSpan duration) => new()
    {
        ChannelId = channel.Id,
        NotificationId = n.Id,
        Title = n.Title,
        At = _time.GetUtcNow(),
        Attempt = attempt,
        Success = success,
        Final = final,
        Status = status,
        Error = error,
        DurationMs = duration.TotalMilliseconds,
    };

    private async Task DeliverAsync(string channelId, Notification notification, CancellationToken cancellationToken)
    {
        var delay = _options.RetryDelay;
        for (var attempt = 1; attempt <= _options.DeliveryAttempts; attempt++)
        {
            var channel = _channels(channelId);
            if (channel is null || !channel.Enabled)
            {
                LogChannelGone(_logger, channelId, notification.Id);
                Outbox.Complete(notification.Id, channelId);
                return;
            }

            var record = await AttemptAsync(channel, notification, attempt, final: attempt == _options.DeliveryAttempts, cancellationToken);
            if (record.Success || record.Final)
            {
                Outbox.Complete(notification.Id, channelId);
                return;
            }

            await Task.Delay(delay, _time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers.Values)
        {
            worker.Queue.Writer.TryComplete();
        }

        using (var grace = new CancellationTokenSource(StopGrace))
        {
            try
            {
                await Task.WhenAll(_workers.Values.Select(w => w.Loop)).WaitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                // Deliveries still retrying stop below; the outbox keeps them for the next start.
            }
        }

        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_workers.Values.Select(w => w.Loop));
        }
        catch (OperationCanceledException)
        {
            // Stopped while delivering.
        }

        _stop.Dispose();
    }

    private sealed class Worker
    {
        public Worker(NotificationDispatcher owner, string channelId)
        {
            Queue = Channel.CreateBounded<Notification>(new BoundedChannelOptions(QueueCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
            }, dropped => owner.OnDropped(channelId, dropped));
            Loop = Task.Run(() => RunAsync(owner, channelId));
        }

        public Channel<Notification> Queue { get; }

        public Task Loop { get; }

        private async Task RunAsync(NotificationDispatcher owner, string channelId)
        {
            var token = owner._stop.Token;
            await foreach (var notification in Queue.Reader.ReadAllAsync(token))
            {
                try
                {
                    await owner.DeliverAsync(channelId, notification, token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {ChannelId}: queue full, dropped notification {NotificationId}")]
    private static partial void LogDropped(ILogger logger, string channelId, string notificationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming notification {NotificationId} left in the outbox for {Channels}")]
    private static partial void LogReplayed(ILogger logger, string notificationId, string channels);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {ChannelId}: delivery of {NotificationId} attempt {Attempt} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string channelId, string notificationId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {ChannelId} is gone or disabled; notification {NotificationId} not sent")]
    private static partial void LogChannelGone(ILogger logger, string channelId, string notificationId);
}
