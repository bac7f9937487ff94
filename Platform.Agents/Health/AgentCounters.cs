namespace Platform.Agents.Health;

/// <summary>The agent's own health counters; served on /metrics and sent as samples in each batch.</summary>
internal sealed class AgentCounters
{
    private long _ticks;
    private long _collectErrors;
    private long _batchesSpooled;
    private long _batchesPublished;
    private long _publishErrors;
    private long _spoolDropped;
    private long _spoolBytes;
    private long _spoolRecords;
    private long _logLines;
    private long _prometheusSamples;
    private int _brokerReachable;

    public long Ticks => Interlocked.Read(ref _ticks);
    public long CollectErrors => Interlocked.Read(ref _collectErrors);
    public long BatchesSpooled => Interlocked.Read(ref _batchesSpooled);
    public long BatchesPublished => Interlocked.Read(ref _batchesPublished);
    public long PublishErrors => Interlocked.Read(ref _publishErrors);
    public long SpoolDropped => Interlocked.Read(ref _spoolDropped);
    public long SpoolBytes => Interlocked.Read(ref _spoolBytes);
    public long SpoolRecords => Interlocked.Read(ref _spoolRecords);
    public long LogLines => Interlocked.Read(ref _logLines);
    public long PrometheusSamples => Interlocked.Read(ref _prometheusSamples);
    public bool BrokerReachable => Volatile.Read(ref _brokerReachable) != 0;

    public void Tick() => Interlocked.Increment(ref _ticks);
    public void CollectError() => Interlocked.Increment(ref _collectErrors);
    public void Spooled() => Interlocked.Increment(ref _batchesSpooled);
    public void Published() => Interlocked.Increment(ref _batchesPublished);
    public void PublishError() => Interlocked.Increment(ref _publishErrors);
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
