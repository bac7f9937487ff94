using Confluent.Kafka;

namespace Platform.Alerting.Service;

internal static class KafkaConfig
{
    public static ConsumerConfig Reader(AlertingOptions options, string purpose) => With(options, new ConsumerConfig()
    {
        BootstrapServers = options.Bootstrap,
        BrokerAddressFamily = BrokerAddressFamily.V4,
        GroupId = $"alerting-{purpose}-{Guid.NewGuid():N}",
        EnableAutoCommit = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        FetchWaitMaxMs = 50,
        SocketConnectionSetupTimeoutMs = 10_000,
        TopicMetadataRefreshIntervalMs = 5_000,
        EnablePartitionEof = false,
        ClientId = $"platform-alerting-{purpose}",
    });

    public static ConsumerConfig Group(AlertingOptions options, string instance) => With(options, new ConsumerConfig()
    {
        BootstrapServers = options.Bootstrap,
        BrokerAddressFamily = BrokerAddressFamily.V4,
        GroupId = options.GroupId,
        ClientId = $"platform-alerting-{instance}",
        EnableAutoCommit = true,
        // The committed offsets are what lag tools read: committed every 200 ms they trail the consumer by at most a
        // fifth of a second of records (every second, a reading jumped by up to a second's worth — at 5,000 hosts up
        // to 5,000 records — and two readings a minute apart looked like creeping lag). An OffsetCommit is cheap.
        AutoCommitIntervalMs = 200,
        AutoOffsetReset = AutoOffsetReset.Latest,
        // The loop reads the topic (metrics or logs), the partition and the value: headers and timestamps are not
        // copied out of the client per record.
        ConsumeResultFields = "topic",
        FetchWaitMaxMs = options.FetchWaitMaxMs,
        SessionTimeoutMs = 10_000,
        HeartbeatIntervalMs = 1_000,
        PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range,
        AllowAutoCreateTopics = true,
        TopicMetadataRefreshIntervalMs = 5_000,
    });

    public static ProducerConfig Producer(AlertingOptions options, string instance) => With(options, new ProducerConfig()
    {
        BootstrapServers = options.Bootstrap,
        BrokerAddressFamily = BrokerAddressFamily.V4,
        ClientId = $"platform-alerting-{instance}",
        Acks = Acks.All,
        LingerMs = 0,
        MessageTimeoutMs = 30_000,
        EnableIdempotence = false,
    });

    public static AdminClientConfig Admin(AlertingOptions options) => With(options, new AdminClientConfig { BootstrapServers = options.Bootstrap });

    /// <summary>Applies <see cref="AlertingOptions.KafkaProperties"/> (security settings) last, over the defaults above.</summary>
    private static T With<T>(AlertingOptions options, T config)
        where T : ClientConfig
    {
        foreach (var (key, value) in options.KafkaProperties)
        {
            config.Set(key, value);
        }

        return config;
    }
}
