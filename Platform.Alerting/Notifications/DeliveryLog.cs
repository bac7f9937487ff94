using System.Collections.Concurrent;

namespace Platform.Alerting.Notifications;

/// <summary>The latest delivery attempts per channel (a bounded ring each), newest last.</summary>
internal sealed class DeliveryLog(int capacityPerChannel = 500)
{
    private readonly ConcurrentDictionary<string, Queue<DeliveryRecord>> _byChannel = new(StringComparer.Ordinal);

    public event Action<DeliveryRecord>? Recorded;

    public void Add(DeliveryRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var queue = _byChannel.GetOrAdd(record.ChannelId, _ => new Queue<DeliveryRecord>());
        lock (queue)
        {
            queue.Enqueue(record);
            while (queue.Count > capacityPerChannel)
            {
                queue.Dequeue();
            }
        }

        Recorded?.Invoke(record);
    }

    public IReadOnlyList<DeliveryRecord> Of(string channelId)
    {
        if (!_byChannel.TryGetValue(channelId, out var queue))
        {
            return [];
        }

        lock (queue)
        {
            return [.. queue];
        }
    }
}
