using Confluent.Kafka;

namespace Platform.Faults.Tests;

/// <summary>Client settings for the fault runs (the same shape the broker's integration tests use).</summary>
internal static class Clients
{
    public static ProducerConfig Producer(string bootstrap, bool idempotent = false) => new()
    {
        BootstrapServers = bootstrap,
        BrokerAddressFamily = BrokerAddressFamily.V4,
        Acks = Acks.All,
        EnableIdempotence = idempotent,
        LingerMs = 5,
        MessageTimeoutMs = 120_000,
        ReconnectBackoffMs = 50,
        ReconnectBackoffMaxMs = 500,
    };

    public static ConsumerConfig Consumer(string bootstrap, string groupId) => new()
    {
        BootstrapServers = bootstrap,
        BrokerAddressFamily = BrokerAddressFamily.V4,
        GroupId = groupId,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 500,
        MaxPollIntervalMs = 300_000,
        CheckCrcs = true,
        TopicMetadataRefreshIntervalMs = 1000,
        FetchWaitMaxMs = 100,
    };

    public static string UniqueTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
