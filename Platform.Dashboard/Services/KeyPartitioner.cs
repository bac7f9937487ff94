using Confluent.Kafka;

namespace Platform.Dashboard.Services;

/// <summary>
/// The partition a keyed record goes to from the agent's producer: librdkafka's default partitioner,
/// <c>consistent_random</c>, which for a non-empty key is CRC-32 (IEEE 802.3, as zlib) of the key modulo the partition
/// count. The agent (<c>KafkaTransport.BuildConfig</c>) sets no partitioner of its own, so a host's batches all sit in
/// this partition while the topic's partition count stays the same.
/// </summary>
internal static class KeyPartitioner
{
    /// <summary>The partition of <paramref name="key"/> among <paramref name="partitionCount"/> partitions.</summary>
    public static int PartitionFor(ReadOnlySpan<byte> key, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        return (int)(Crc32(key) % (uint)partitionCount);
    }

    /// <summary>The partition of <paramref name="partitions"/> that <paramref name="key"/> goes to (the first when the
    /// listing lacks it).</summary>
    public static TopicPartition PartitionOf(List<TopicPartition> partitions, ReadOnlySpan<byte> key)
    {
        var index = PartitionFor(key, partitions.Count);
        return partitions.Find(p => p.Partition.Value == index) ?? partitions[0];
    }

    /// <summary>
    /// CRC-32 (reflected polynomial 0xEDB88320), bit by bit: the BCL has hardware CRC-32C only, and a key is a host id of
    /// a few dozen bytes read once per history request, so neither a table nor a package is worth it here.
    /// </summary>
    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
            }
        }

        return ~crc;
    }
}
