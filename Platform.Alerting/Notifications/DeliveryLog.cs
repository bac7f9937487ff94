using System.Collections.Concurrent;
using System.Text.Json;

namespace Platform.Alerting.Notifications;

/// <summary>The latest delivery attempts per channel (a bounded ring each), newest last. With a directory, every
/// attempt is also appended to <c>{channel}.jsonl</c> there and the rings are reloaded at start, so the log survives
/// a restart; a file is compacted to the ring's size when it grows past four times that.</summary>
internal sealed class DeliveryLog
{
    private readonly ConcurrentDictionary<string, Ring> _byChannel = new(StringComparer.Ordinal);
    private readonly string? _directory;
    private readonly int _capacity;

    public DeliveryLog(string? directory = null, int capacityPerChannel = 500)
    {
        _directory = directory;
        _capacity = capacityPerChannel;
        if (directory is null)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        foreach (var file in Directory.EnumerateFiles(directory, "*.jsonl"))
        {
            var ring = _byChannel.GetOrAdd(Path.GetFileNameWithoutExtension(file), _ => new Ring());
            foreach (var line in File.ReadLines(file).TakeLast(capacityPerChannel))
            {
                try
                {
                    if (JsonSerializer.Deserialize(line, NotificationJsonContext.Default.DeliveryRecord) is { } record)
                    {
                        ring.Records.Enqueue(record);
                    }
                }
                catch (JsonException)
                {
                    // A line cut by a crash; the rest of the log is still good.
                }
            }

            ring.LinesInFile = ring.Records.Count;
        }
    }

    public void Add(DeliveryRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var ring = _byChannel.GetOrAdd(record.ChannelId, _ => new Ring());
        lock (ring)
        {
            ring.Records.Enqueue(record);
            while (ring.Records.Count > _capacity)
            {
                ring.Records.Dequeue();
            }

            if (_directory is not null)
            {
                Persist(ring, record);
            }
        }
    }

    private void Persist(Ring ring, DeliveryRecord record)
    {
        var path = Path.Combine(_directory!, record.ChannelId + ".jsonl");
        try
        {
            if (ring.LinesInFile >= _capacity * 4)
            {
                File.WriteAllLines(path, ring.Records.Select(r => JsonSerializer.Serialize(r, NotificationJsonContext.Default.DeliveryRecord)));
                ring.LinesInFile = ring.Records.Count;
            }
            else
            {
                File.AppendAllText(path, JsonSerializer.Serialize(record, NotificationJsonContext.Default.DeliveryRecord) + "\n");
                ring.LinesInFile++;
            }
        }
        catch (IOException)
        {
            // The in-memory log is still complete; the disk copy catches up with the next compaction.
        }
    }

    public IReadOnlyList<DeliveryRecord> Of(string channelId)
    {
        if (!_byChannel.TryGetValue(channelId, out var ring))
        {
            return [];
        }

        lock (ring)
        {
            return [.. ring.Records];
        }
    }

    private sealed class Ring
    {
        public Queue<DeliveryRecord> Records { get; } = new();

        public int LinesInFile { get; set; }
    }
}
