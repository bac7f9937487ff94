using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Telemetry;

namespace Platform.Bench.Fleet;

/// <summary>One reading of the consumer groups' lag on the metrics topic.</summary>
internal sealed record LagPoint(double Seconds, long[] Lags);

/// <summary>
/// Consumer lag on the <c>metrics</c> topic, as a Kafka tool reads it: the partitions' end offsets (ListOffsets)
/// minus each group's committed offsets (OffsetFetch), summed over the partitions; and for a reader that commits
/// nothing (the dashboard assigns its partitions from their end and only counts), end offsets minus its count.
/// </summary>
internal sealed class LagSampler(string bootstrap, string[] groups, int partitions) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly IAdminClient _admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
    private readonly IConsumer<byte[], byte[]> _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
    {
        BootstrapServers = bootstrap,
        GroupId = "fleet-lag-" + Guid.NewGuid().ToString("N"),
        EnableAutoCommit = false,
    }).SetLogHandler((_, _) => { }).Build();

    /// <summary>The sum of the metrics partitions' end offsets (records ever written).</summary>
    public long EndOffsets() => Ends().Sum();

    public async Task<LagPoint> SampleAsync(TimeSpan at, Func<Task<long>> consumedByReader)
    {
        var ends = Ends();
        var lags = new long[groups.Length + 1];
        lags[groups.Length] = ends.Sum() - await consumedByReader();
        for (var g = 0; g < groups.Length; g++)
        {
            var committed = await _admin.ListConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitions(groups[g], [.. Enumerable.Range(0, partitions).Select(p => new TopicPartition(Topics.Metrics, p))])],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = Timeout });
            foreach (var tpo in committed[0].Partitions)
            {
                var end = ends[tpo.Partition.Value];
                // A commit that lands between reading the end and the committed offset would read as negative.
                lags[g] += tpo.Offset.Value >= 0 ? Math.Max(0, end - tpo.Offset.Value) : end;
            }
        }

        return new LagPoint(at.TotalSeconds, lags);
    }

    private long[] Ends() =>
        [.. Enumerable.Range(0, partitions).Select(p => _consumer.QueryWatermarkOffsets(new TopicPartition(Topics.Metrics, p), Timeout).High.Value)];

    public void Dispose()
    {
        _consumer.Dispose();
        _admin.Dispose();
    }
}
