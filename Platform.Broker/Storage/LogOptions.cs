namespace Platform.Broker.Storage;

/// <summary>Broker-wide storage settings; per-topic <see cref="TopicConfig"/> values override the defaults here.</summary>
public sealed class LogOptions
{
    /// <summary>The directory that holds one folder per partition ("topic-N").</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Defaults for every topic that does not set its own values.</summary>
    public TopicConfig Defaults { get; init; } = TopicConfig.Default;

    public FlushMode FlushMode { get; init; } = FlushMode.Strict;

    /// <summary>Group commit: fsync at least this often.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Group commit: fsync once this many bytes are unflushed.</summary>
    public long FlushBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How often retention is enforced.</summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The clock for segment age, retention and log-append time (tests substitute their own).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Fault injection for tests (null in production).</summary>
    internal IStorageFaults? Faults { get; init; }
}
