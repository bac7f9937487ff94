using Confluent.Kafka;

namespace Platform.Faults.Tests;

/// <summary>Reads every record of a topic, from the start of each partition to its high watermark.</summary>
internal static class TopicReader
{
    public static List<string> ReadAll(string bootstrap, string topic, TimeSpan deadline)
    {
        var config = Clients.Consumer(bootstrap, $"reader-{Guid.NewGuid():N}");
        using var consumer = new ConsumerBuilder<Ignore, string>(config).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap, BrokerAddressFamily = BrokerAddressFamily.V4 }).Build();
        var metadata = admin.GetMetadata(topic, deadline);
        var partitions = metadata.Topics.Single().Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        var ends = partitions.ToDictionary(p => p.Partition.Value, p => consumer.QueryWatermarkOffsets(p, deadline).High.Value);
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var values = new List<string>();
        var positions = partitions.ToDictionary(p => p.Partition.Value, _ => 0L);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (positions.Any(p => p.Value < ends[p.Key]))
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"Reading {topic} back: reached {string.Join(", ", positions)} of {string.Join(", ", ends)} in {deadline}.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            values.Add(result.Message.Value);
            positions[result.Partition.Value] = result.Offset.Value + 1;
        }

        consumer.Close();
        return values;
    }
}
