using Microsoft.Extensions.Logging;

namespace Platform.Broker.Storage;

/// <summary>
/// Every topic under the data directory: opens (and recovers) them at start, creates and deletes topics, enforces
/// retention in the background, runs the group-commit flusher, and allocates producer ids for idempotent producers.
/// Thread-safe.
/// </summary>
public sealed class LogManager : IAsyncDisposable
{
    /// <summary>Opens the data directory, recovering every partition found there (torn tails truncated, indexes rebuilt).</summary>
    public static LogManager Open(LogOptions options, ILoggerFactory loggerFactory) => throw new NotImplementedException();

    public LogOptions Options => throw new NotImplementedException();

    /// <summary>A snapshot of the topics.</summary>
    public IReadOnlyCollection<TopicLog> Topics => throw new NotImplementedException();

    public bool TryGetTopic(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TopicLog? topic) => throw new NotImplementedException();

    /// <summary>
    /// Creates a topic. Throws <see cref="TopicExistsException"/> if it exists, <see cref="ArgumentException"/> for an
    /// invalid name (Kafka's rules: 1–249 chars of [a-zA-Z0-9._-], not "." or "..") or partition count.
    /// </summary>
    public TopicLog CreateTopic(string name, int partitions, TopicConfig? config = null) => throw new NotImplementedException();

    /// <summary>Deletes a topic and its files; false if it does not exist.</summary>
    public bool DeleteTopic(string name) => throw new NotImplementedException();

    /// <summary>A fresh producer id (persisted, never reused across restarts).</summary>
    public long AllocateProducerId() => throw new NotImplementedException();

    /// <summary>Deletes segments past retention now (also done every <see cref="LogOptions.RetentionCheckInterval"/>).</summary>
    public void EnforceRetention() => throw new NotImplementedException();

    /// <summary>Flushes and closes everything.</summary>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
