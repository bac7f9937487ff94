using Confluent.Kafka;

namespace Platform.Dashboard.Services;

/// <summary>The consumer settings the dashboard's readers share.</summary>
internal static class KafkaConfig
{
    public static ConsumerConfig Consumer(DashboardOptions options, string groupId, string clientId) => With(options, new ConsumerConfig
    {
        BootstrapServers = options.Bootstrap,
        GroupId = groupId,
        ClientId = clientId,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        EnablePartitionEof = true,
        AutoOffsetReset = AutoOffsetReset.Latest,
        FetchWaitMaxMs = 100,
        SocketKeepaliveEnable = true,
        ReconnectBackoffMaxMs = 2000,
        TopicMetadataRefreshIntervalMs = 10000,
    });

    public static AdminClientConfig Admin(DashboardOptions options, string clientId) =>
        With(options, new AdminClientConfig { BootstrapServers = options.Bootstrap, ClientId = clientId });

    /// <summary>Applies <see cref="DashboardOptions.KafkaProperties"/> (security settings) last, over the defaults.</summary>
    private static T With<T>(DashboardOptions options, T config)
        where T : ClientConfig
    {
        foreach (var (key, value) in options.KafkaProperties)
        {
            config.Set(key, value);
        }

        return config;
    }
}
