using Confluent.Kafka;

namespace Platform.Dashboard.Services;

/// <summary>The consumer settings the dashboard's readers share.</summary>
internal static class KafkaConfig
{
    public static ConsumerConfig Consumer(string bootstrap, string groupId, string clientId) => new()
    {
        BootstrapServers = bootstrap,
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
    };
}
