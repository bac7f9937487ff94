namespace Platform.Broker.Protocol;

/// <summary>The Kafka API keys this broker answers (spec names).</summary>
internal enum ApiKey : short
{
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    LeaveGroup = 13,
    SyncGroup = 14,
    DescribeGroups = 15,
    ListGroups = 16,
    ApiVersions = 18,
    CreateTopics = 19,
    DeleteTopics = 20,
    InitProducerId = 22,
    DescribeConfigs = 32,
    AlterConfigs = 33,
    IncrementalAlterConfigs = 44,
    SaslHandshake = 17,
    SaslAuthenticate = 36,
}
