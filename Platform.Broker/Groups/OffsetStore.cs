using System.Buffers;
using Microsoft.Extensions.Logging;

namespace Platform.Broker.Groups;

/// <summary>
/// Committed offsets of every consumer group, kept in memory and persisted to a checkpoint file
/// (<see cref="OffsetCheckpoint"/>) that is replaced atomically before a commit is acknowledged, so every
/// acknowledged commit survives a restart. Concurrent commits share one write when they arrive together.
/// </summary>
internal sealed partial class OffsetStore : IDisposable
{
    public const string FileName = "consumer-offsets.checkpoint";

    private readonly Dictionary<string, Dictionary<(string Topic, int Partition), CommittedOffset>> _groups = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string _path;
    private readonly string _directory;
    private readonly ILogger _logger;
    private long _version;
    private long _persistedVersion;

    public OffsetStore(string directory, ILogger logger)
    {
        Directory.CreateDirectory(directory);
        _directory = directory;
        _path = Path.Combine(directory, FileName);
        _logger = logger;
        Load();
    }

    public IReadOnlyCollection<string> Groups
    {
        get
        {
            lock (_lock)
            {
                return [.. _groups.Keys];
            }
        }
    }

    public bool TryGet(string group, string topic, int partition, out CommittedOffset committed)
    {
        lock (_lock)
        {
            committed = default;
            return _groups.TryGetValue(group, out var offsets) && offsets.TryGetValue((topic, partition), out committed);
        }
    }

    /// <summary>A snapshot of one group's committed offsets.</summary>
    public List<(string Topic, int Partition, CommittedOffset Committed)> GetAll(string group)
    {
        lock (_lock)
        {
            var list = new List<(string, int, CommittedOffset)>();
            if (_groups.TryGetValue(group, out var offsets))
            {
                foreach (var ((topic, partition), committed) in offsets)
                {
                    list.Add((topic, partition, committed));
                }
            }

            return list;
        }
    }

    /// <summary>Records commits in memory (visible at once); call <see cref="PersistAsync"/> before acknowledging them.</summary>
    public void Commit(string group, string topic, int partition, CommittedOffset committed)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(group, out var offsets))
            {
                offsets = [];
                _groups[group] = offsets;
            }

            offsets[(topic, partition)] = committed;
            _version++;
        }
    }

    /// <summary>True when the group has at least one committed offset.</summary>
    public bool HasOffsets(string group)
    {
        lock (_lock)
        {
            return _groups.TryGetValue(group, out var offsets) && offsets.Count > 0;
        }
    }

    /// <summary>
    /// Drops the commits of groups without members whose retention has run out: a commit expires
    /// <paramref name="retentionMs"/> after the later of its own time and the time its group became empty
    /// (from <paramref name="groupState"/>; null when the group is unknown since the last restart). Returns how many.
    /// </summary>
    public int Expire(long nowMs, long retentionMs, Func<string, (bool HasMembers, long? EmptySinceMs)> groupState)
    {
        ArgumentNullException.ThrowIfNull(groupState);
        var removed = 0;
        lock (_lock)
        {
            // Removing the entry being enumerated leaves a Dictionary's enumerator valid.
            foreach (var (group, offsets) in _groups)
            {
                var (hasMembers, emptySince) = groupState(group);
                if (hasMembers)
                {
                    continue;
                }

                var held = offsets.Count;
                foreach (var (key, committed) in offsets)
                {
                    if (Math.Max(committed.CommitTimestamp, emptySince ?? 0) + retentionMs <= nowMs)
                    {
                        offsets.Remove(key);
                        removed++;
                    }
                }

                if (held > 0 && offsets.Count == 0)
                {
                    // Every commit of the group expired.
                    _groups.Remove(group);
                }
            }

            if (removed > 0)
            {
                _version++;
            }
        }

        return removed;
    }

    /// <summary>Drops every commit for a deleted topic.</summary>
    public void RemoveTopic(string topic)
    {
        lock (_lock)
        {
            foreach (var offsets in _groups.Values)
            {
                foreach (var key in offsets.Keys.Where(k => k.Topic == topic).ToList())
                {
                    offsets.Remove(key);
                    _version++;
                }
            }
        }
    }

    /// <summary>Writes the checkpoint unless a write that already contains every commit made so far has finished.</summary>
    public async Task PersistAsync(CancellationToken cancellationToken = default)
    {
        long target;
        lock (_lock)
        {
            target = _version;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref _persistedVersion) >= target)
            {
                return; // a write that started after our commit already covered it
            }

            List<OffsetCheckpoint.Entry> entries;
            long version;
            lock (_lock)
            {
                version = _version;
                entries = new List<OffsetCheckpoint.Entry>();
                foreach (var (group, offsets) in _groups)
                {
                    foreach (var ((topic, partition), committed) in offsets)
                    {
                        entries.Add(new OffsetCheckpoint.Entry(group, topic, partition, committed));
                    }
                }
            }

            var size = OffsetCheckpoint.Measure(entries);
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                var n = OffsetCheckpoint.Format(entries, buffer);
                var temp = _path + ".tmp";
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
                {
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temp, _path, overwrite: true);

                // The rename itself must reach the disk before the commit is acknowledged.
                Storage.DirectorySync.Flush(_directory);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            Volatile.Write(ref _persistedVersion, version);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose() => _writeLock.Dispose();

    private void Load()
    {
        if (!File.Exists(_path))
        {
            return;
        }

        List<OffsetCheckpoint.Entry> entries;
        try
        {
            entries = OffsetCheckpoint.Parse(File.ReadAllBytes(_path));
        }
        catch (InvalidDataException ex)
        {
            // A damaged checkpoint must not keep the broker from starting: it is set aside for inspection and the
            // groups start with no committed offsets (consumers fall back to auto.offset.reset).
            var aside = $"{_path}.corrupt-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}";
            File.Move(_path, aside, overwrite: true);
            Storage.DirectorySync.Flush(_directory);
            LogCorrupt(_logger, _path, ex.Message, aside);
            return;
        }

        foreach (var e in entries)
        {
            Commit(e.Group, e.Topic, e.Partition, e.Committed);
        }

        _persistedVersion = _version;
        LogLoaded(_logger, entries.Count, _path);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Committed offsets checkpoint {Path} is unreadable ({Reason}); moved it to {Aside} and started with no committed offsets")]
    private static partial void LogCorrupt(ILogger logger, string path, string reason, string aside);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} committed offsets from {Path}")]
    private static partial void LogLoaded(ILogger logger, int count, string path);
}
