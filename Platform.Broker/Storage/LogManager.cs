using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;

namespace Platform.Broker.Storage;

/// <summary>
/// Every topic under the data directory: opens (and recovers) them at start, creates and deletes topics, enforces
/// retention in the background, runs the group-commit flusher, and allocates producer ids for idempotent producers.
/// Thread-safe.
/// </summary>
public sealed class LogManager : IAsyncDisposable
{
    /// <summary>The most partitions one topic may have.</summary>
    public const int MaxPartitions = 10_000;

    private const string DeletedSuffix = ".deleted";

    private readonly ConcurrentDictionary<string, TopicLog> _topics = new(StringComparer.Ordinal);
    private readonly Lock _topicsLock = new();
    private readonly Lock _producerIdLock = new();
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _flushSignal = new(0, int.MaxValue);
    private readonly Task _retentionLoop;
    private readonly Task _flushLoop;
    private readonly FileStream _directoryLock;
    private long _nextProducerId;
    private long _producerIdBlockEnd;
    private int _disposed;

    /// <summary>Opens the data directory, recovering every partition found there (torn tails truncated, indexes rebuilt).</summary>
    public static LogManager Open(LogOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDirectory);
        options.Defaults.Validate();
        if (options.FlushInterval <= TimeSpan.Zero || options.RetentionCheckInterval <= TimeSpan.Zero || options.FlushBytes <= 0)
        {
            throw new ArgumentException("FlushInterval, RetentionCheckInterval and FlushBytes must be positive.", nameof(options));
        }

        return new LogManager(options, loggerFactory.CreateLogger("Platform.Broker.Storage"));
    }

    private LogManager(LogOptions options, ILogger logger)
    {
        Options = options;
        _logger = logger;
        Directory.CreateDirectory(options.DataDirectory);
        _directoryLock = LockDirectory(options.DataDirectory);
        try
        {
            LoadProducerIds();
            LoadTopics();
        }
        catch
        {
            foreach (var topic in _topics.Values)
            {
                foreach (var partition in topic.Partitions)
                {
                    partition.Dispose();
                }
            }

            _directoryLock.Dispose();
            throw;
        }

        _retentionLoop = Task.Run(RetentionLoopAsync);
        _flushLoop = options.FlushMode == FlushMode.GroupCommit ? Task.Run(FlushLoopAsync) : Task.CompletedTask;
    }

    public LogOptions Options { get; }

    /// <summary>A snapshot of the topics.</summary>
    public IReadOnlyCollection<TopicLog> Topics => [.. _topics.Values];

    public bool TryGetTopic(string name, [NotNullWhen(true)] out TopicLog? topic) => _topics.TryGetValue(name, out topic);

    /// <summary>
    /// Creates a topic. Throws <see cref="TopicExistsException"/> if it exists, <see cref="ArgumentException"/> for an
    /// invalid name (Kafka's rules: 1–249 chars of [a-zA-Z0-9._-], not "." or "..") or partition count.
    /// </summary>
    public TopicLog CreateTopic(string name, int partitions, TopicConfig? config = null)
    {
        ValidateTopicName(name);
        if (partitions < 1 || partitions > MaxPartitions)
        {
            throw new ArgumentException($"A topic needs 1 to {MaxPartitions} partitions, not {partitions}.", nameof(partitions));
        }

        config ??= new TopicConfig();
        config.Validate();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_topicsLock)
        {
            if (_topics.ContainsKey(name))
            {
                throw new TopicExistsException($"Topic \"{name}\" already exists.");
            }

            var topic = new TopicLog(name, Guid.NewGuid(), config, Options.Defaults);
            var logs = new PartitionLog[partitions];
            try
            {
                for (var p = 0; p < partitions; p++)
                {
                    var directory = Path.Combine(Options.DataDirectory, TopicLog.PartitionDirectoryName(name, p));
                    if (Directory.Exists(directory))
                    {
                        // Left over from a topic of that name whose deletion did not finish.
                        Directory.Delete(directory, recursive: true);
                    }

                    Directory.CreateDirectory(directory);
                    new TopicMetadata(name, topic.TopicId, p, partitions, config.ToEntries()).Write(directory);
                    logs[p] = PartitionLog.Open(topic, p, directory, Options, _logger, RequestFlush);
                }

                DirectorySync.Flush(Options.DataDirectory);
            }
            catch
            {
                foreach (var log in logs)
                {
                    log?.Dispose();
                }

                throw;
            }

            topic.SetPartitions(logs);
            _topics[name] = topic;
            StorageLog.TopicCreated(_logger, name, partitions);
            return topic;
        }
    }

    /// <summary>
    /// Replaces a topic's own settings (persisted in every partition's metadata file before they take effect; the next
    /// append and retention pass use them). False when the topic does not exist; <see cref="ArgumentException"/> for an
    /// out-of-range value.
    /// </summary>
    public bool AlterTopicConfig(string name, TopicConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        lock (_topicsLock)
        {
            if (!_topics.TryGetValue(name, out var topic))
            {
                return false;
            }

            var entries = config.ToEntries();
            var partitions = topic.Partitions;
            foreach (var partition in partitions)
            {
                new TopicMetadata(name, topic.TopicId, partition.Partition, partitions.Count, entries).Write(partition.Directory);
                DirectorySync.Flush(partition.Directory);
            }

            topic.Reconfigure(config, Options.Defaults);
        }

        StorageLog.TopicReconfigured(_logger, name, string.Join(", ", config.ToEntries().Select(e => $"{e.Key}={e.Value}")));
        return true;
    }

    /// <summary>Deletes a topic and its files; false if it does not exist.</summary>
    public bool DeleteTopic(string name)
    {
        TopicLog? topic;
        lock (_topicsLock)
        {
            if (!_topics.TryRemove(name, out topic))
            {
                return false;
            }

            foreach (var partition in topic.Partitions)
            {
                partition.Abandon();
                var deleted = partition.Directory + "." + Guid.NewGuid().ToString("N") + DeletedSuffix;
                try
                {
                    Directory.Move(partition.Directory, deleted);
                    Directory.Delete(deleted, recursive: true);
                }
                catch (IOException e)
                {
                    // A renamed directory is removed at the next open; one not renamed would come back, so say so.
                    StorageLog.DirectoryProblem(_logger, partition.Directory, $"could not be removed: {e.Message}");
                }
            }
        }

        StorageLog.TopicDeleted(_logger, name);
        return true;
    }

    /// <summary>A fresh producer id (persisted, never reused across restarts).</summary>
    public long AllocateProducerId()
    {
        lock (_producerIdLock)
        {
            if (_nextProducerId >= _producerIdBlockEnd)
            {
                var end = _nextProducerId + ProducerIdBlock.BlockSize;
                Span<byte> bytes = stackalloc byte[ProducerIdBlock.Size];
                new ProducerIdBlock(end).Format(bytes);
                MetadataFile.WriteAtomically(Path.Combine(Options.DataDirectory, ProducerIdBlock.FileName), bytes, durable: true);
                DirectorySync.Flush(Options.DataDirectory);
                _producerIdBlockEnd = end;
            }

            return _nextProducerId++;
        }
    }

    /// <summary>Deletes segments past retention now (also done every <see cref="LogOptions.RetentionCheckInterval"/>).</summary>
    public void EnforceRetention()
    {
        foreach (var topic in _topics.Values)
        {
            foreach (var partition in topic.Partitions)
            {
                partition.EnforceRetention();
            }
        }
    }

    /// <summary>Flushes and closes everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_retentionLoop, _flushLoop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_topicsLock)
        {
            foreach (var topic in _topics.Values)
            {
                foreach (var partition in topic.Partitions)
                {
                    partition.Dispose();
                }
            }
        }

        _stopping.Dispose();
        _flushSignal.Dispose();
        await _directoryLock.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes every partition as a crash would (no flush, no snapshot, no checkpoint): for recovery tests.</summary>
    internal async ValueTask AbandonAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_retentionLoop, _flushLoop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var topic in _topics.Values)
        {
            foreach (var partition in topic.Partitions)
            {
                partition.Abandon();
            }
        }

        await _directoryLock.DisposeAsync().ConfigureAwait(false);
    }

    internal static void ValidateTopicName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 249 || name is "." or "..")
        {
            throw new ArgumentException($"Topic name \"{name}\" is invalid: it must be 1 to 249 characters and not \".\" or \"..\".", nameof(name));
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                throw new ArgumentException($"Topic name \"{name}\" is invalid: only ASCII letters, digits, '.', '_' and '-' are allowed.", nameof(name));
            }
        }
    }

    /// <summary>One process per data directory: an exclusive lock on "DATA/.lock", held until dispose.</summary>
    private static FileStream LockDirectory(string directory)
    {
        var path = Path.Combine(directory, ".lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"The data directory {directory} is in use by another broker (cannot lock {path}: {e.Message}).", e);
        }
    }

    private void RequestFlush(PartitionLog partition) => _flushSignal.Release();

    private async Task FlushLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _flushSignal.WaitAsync(Options.FlushInterval, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var topic in _topics.Values)
            {
                foreach (var partition in topic.Partitions)
                {
                    try
                    {
                        partition.FlushIfDirty();
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        StorageLog.FlushFailed(_logger, $"{partition.Topic}-{partition.Partition}: {e.Message}", e);
                    }
                }
            }
        }
    }

    private async Task RetentionLoopAsync()
    {
        using var timer = new PeriodicTimer(Options.RetentionCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    EnforceRetention();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    StorageLog.RetentionFailed(_logger, e.Message, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void LoadProducerIds()
    {
        var path = Path.Combine(Options.DataDirectory, ProducerIdBlock.FileName);
        var bytes = MetadataFile.TryReadAll(path);
        if (bytes is null)
        {
            return;
        }

        try
        {
            _nextProducerId = _producerIdBlockEnd = new ProducerIdBlock(bytes).NextBlockStart;
        }
        catch (InvalidDataException e)
        {
            // Never hand out an id twice: continue far above anything a millisecond clock-based count could have reached.
            _nextProducerId = _producerIdBlockEnd = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
            StorageLog.DirectoryProblem(_logger, path, $"{e.Message}; producer ids continue at {_nextProducerId}");
        }
    }

    private static bool LooksLikePartition(string directoryName)
    {
        var dash = directoryName.LastIndexOf('-');
        return dash > 0 && dash < directoryName.Length - 1 && !directoryName.AsSpan(dash + 1).ContainsAnyExceptInRange('0', '9');
    }

    private void LoadTopics()
    {
        var found = new Dictionary<string, List<(string Directory, TopicMetadata Metadata)>>(StringComparer.Ordinal);
        foreach (var directory in Directory.EnumerateDirectories(Options.DataDirectory))
        {
            var name = Path.GetFileName(directory);
            if (name.EndsWith(DeletedSuffix, StringComparison.Ordinal))
            {
                Directory.Delete(directory, recursive: true);
                continue;
            }

            // Not named like a partition (topic-N): the broker's own files (security/, tls/), not a topic to recover.
            if (!LooksLikePartition(name))
            {
                continue;
            }

            var metadata = TopicMetadata.TryRead(directory, out var problem);
            if (metadata is null)
            {
                StorageLog.DirectoryProblem(_logger, directory, $"skipped: its {TopicMetadata.FileName} is {problem}");
                continue;
            }

            if (name != TopicLog.PartitionDirectoryName(metadata.Name, metadata.Partition))
            {
                StorageLog.DirectoryProblem(_logger, directory, $"skipped: its metadata names {metadata.Name}-{metadata.Partition}");
                continue;
            }

            if (!found.TryGetValue(metadata.Name, out var list))
            {
                found[metadata.Name] = list = [];
            }

            list.Add((directory, metadata));
        }

        foreach (var (name, parts) in found)
        {
            var first = parts.MinBy(p => p.Metadata.Partition).Metadata;
            var config = TopicConfig.Parse(first.Config.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value)));
            var topic = new TopicLog(name, first.TopicId, config, Options.Defaults);
            var logs = new PartitionLog[first.PartitionCount];
            for (var p = 0; p < logs.Length; p++)
            {
                var directory = Path.Combine(Options.DataDirectory, TopicLog.PartitionDirectoryName(name, p));
                if (!parts.Exists(x => x.Metadata.Partition == p))
                {
                    // Creation was cut short before this partition existed: finish it.
                    Directory.CreateDirectory(directory);
                    new TopicMetadata(name, first.TopicId, p, logs.Length, first.Config).Write(directory);
                }

                logs[p] = PartitionLog.Open(topic, p, directory, Options, _logger, RequestFlush);
            }

            topic.SetPartitions(logs);
            _topics[name] = topic;
        }
    }
}
