using System.Runtime.InteropServices;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>One log line as the live tail shows it.</summary>
public sealed record LogLine(long Sequence, string HostId, DateTimeOffset At, string Source, Severity Severity, string Message);

/// <summary>
/// The newest log lines of every host, read from the <c>logs</c> topic: a bounded ring the logs page filters. A log
/// batch the agent sent again (its host's agent run and a sequence already applied) adds no lines.
/// </summary>
public sealed class LogTail
{
    /// <summary>How many lines the tail keeps.</summary>
    public const int Capacity = 5000;

    /// <summary>The most hosts whose last log batch is remembered; past it the positions start over (hosts that come
    /// and go without end must not grow the tail), so only a repeat right after that goes undetected.</summary>
    public const int MaxHosts = 100_000;

    private readonly LogLine?[] _ring = new LogLine?[Capacity];
    private readonly object _gate = new();
    private readonly Dictionary<string, DeliveryPosition> _positions = new(StringComparer.Ordinal);
    private long _next;
    private long _duplicates;

    /// <summary>The sequence number the next line gets; grows with every line.</summary>
    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _next;
            }
        }
    }

    /// <summary>Log batches dropped as repeats of one already applied.</summary>
    public long DuplicateBatches
    {
        get
        {
            lock (_gate)
            {
                return _duplicates;
            }
        }
    }

    /// <summary>Adds a batch's lines; false (and nothing added) when it repeats a batch of its host already applied.</summary>
    public bool Apply(LogBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            if (_positions.Count >= MaxHosts && !_positions.ContainsKey(batch.HostId))
            {
                _positions.Clear();
            }

            ref var position = ref CollectionsMarshal.GetValueRefOrAddDefault(_positions, batch.HostId, out _);
            if (!position.Advance(batch.AgentRunId, batch.Sequence))
            {
                _duplicates++;
                DashboardMetrics.DuplicateLogBatches.Inc();
                return false;
            }

            foreach (var record in batch.Records)
            {
                var at = DateTimeOffset.FromUnixTimeMilliseconds(record.TimestampUnixMs == 0 ? batch.TimestampUnixMs : record.TimestampUnixMs);
                _ring[_next % Capacity] = new LogLine(_next, batch.HostId, at, record.Source, record.Severity, record.Message);
                _next++;
            }
        }

        return true;
    }

    /// <summary>The newest lines that pass <paramref name="filter"/>, at most <paramref name="limit"/>, oldest first.</summary>
    public IReadOnlyList<LogLine> Newest(Func<LogLine, bool> filter, int limit)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var result = new List<LogLine>(Math.Min(limit, 256));
        lock (_gate)
        {
            for (var seq = _next - 1; seq >= 0 && seq >= _next - Capacity && result.Count < limit; seq--)
            {
                var line = _ring[seq % Capacity];
                if (line is not null && filter(line))
                {
                    result.Add(line);
                }
            }
        }

        result.Reverse();
        return result;
    }

    /// <summary>The hosts and sources seen in the kept lines (for the filter pickers).</summary>
    public (IReadOnlyList<string> Hosts, IReadOnlyList<string> Sources) Known()
    {
        var hosts = new SortedSet<string>(StringComparer.Ordinal);
        var sources = new SortedSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var line in _ring)
            {
                if (line is not null)
                {
                    hosts.Add(line.HostId);
                    sources.Add(line.Source);
                }
            }
        }

        return (hosts.ToList(), sources.ToList());
    }
}
