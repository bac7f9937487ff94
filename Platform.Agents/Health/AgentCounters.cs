namespace Platform.Agents.Health;

/// <summary>The agent's own health counters; served on /metrics and sent as samples in each batch.</summary>
internal sealed class AgentCounters
{
    private readonly long[] _collectErrors = new long[CollectorKinds.Count];
    private long _ticks;
    private long _batchesSpooled;
    private long _batchesPublished;
    private long _publishErrors;
    private long _spoolErrors;
    private long _spoolDropped;
    private long _spoolBytes;
    private long _spoolRecords;
    private long _logLines;
    private long _prometheusSamples;
    private int _brokerReachable;

    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Collection errors of every collector together.</summary>
    public long CollectErrors
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _collectErrors.Length; i++)
            {
                total += Interlocked.Read(ref _collectErrors[i]);
            }

            return total;
        }
    }

    public long BatchesSpooled => Interlocked.Read(ref _batchesSpooled);
    public long BatchesPublished => Interlocked.Read(ref _batchesPublished);
    public long PublishErrors => Interlocked.Read(ref _publishErrors);

    /// <summary>Failed spool reads and commit-file writes (the publisher backs off and tries again).</summary>
    public long SpoolErrors => Interlocked.Read(ref _spoolErrors);
    public long SpoolDropped => Interlocked.Read(ref _spoolDropped);
    public long SpoolBytes => Interlocked.Read(ref _spoolBytes);
    public long SpoolRecords => Interlocked.Read(ref _spoolRecords);
    public long LogLines => Interlocked.Read(ref _logLines);
    public long PrometheusSamples => Interlocked.Read(ref _prometheusSamples);
    public bool BrokerReachable => Volatile.Read(ref _brokerReachable) != 0;

    /// <summary>Collection errors of one collector.</summary>
    public long CollectErrorsOf(CollectorKind kind) => Interlocked.Read(ref _collectErrors[(int)kind]);

    public void Tick() => Interlocked.Increment(ref _ticks);
    public void CollectError(CollectorKind kind) => Interlocked.Increment(ref _collectErrors[(int)kind]);
    public void Spooled() => Interlocked.Increment(ref _batchesSpooled);
    public void Published() => Interlocked.Increment(ref _batchesPublished);
    public void PublishError() => Interlocked.Increment(ref _publishErrors);
    public void SpoolError() => Interlocked.Increment(ref _spoolErrors);
    public void Dropped(long records) => Interlocked.Add(ref _spoolDropped, records);
    public void SetSpool(long bytes, long records)
    {
        Interlocked.Exchange(ref _spoolBytes, bytes);
        Interlocked.Exchange(ref _spoolRecords, records);
    }

    public void LinesRead(long lines) => Interlocked.Add(ref _logLines, lines);
    public void PrometheusForwarded(long samples) => Interlocked.Add(ref _prometheusSamples, samples);
    public void SetBrokerReachable(bool reachable) => Volatile.Write(ref _brokerReachable, reachable ? 1 : 0);
}

/// <summary>The part of the agent a collection error belongs to: the <c>collector</c> label of <c>platform.agent.collect.errors</c>.</summary>
internal enum CollectorKind
{
    /// <summary>/proc and /sys.</summary>
    Host,
    /// <summary>cgroups and the Docker Engine API.</summary>
    Containers,
    /// <summary>Tailed log files.</summary>
    Logs,
    /// <summary>Prometheus endpoints.</summary>
    Scrape,
    /// <summary>A tick that failed outside any one collector.</summary>
    Agent,
}

/// <summary>The label values of <see cref="CollectorKind"/>.</summary>
internal static class CollectorKinds
{
    public const int Count = 5;

    public static string Label(CollectorKind kind) => kind switch
    {
        CollectorKind.Host => "host",
        CollectorKind.Containers => "containers",
        CollectorKind.Logs => "logs",
        CollectorKind.Scrape => "scrape",
        _ => "agent",
    };
}
