namespace Platform.Broker.Groups;

/// <summary>One committed position of a consumer group in a partition, with the client's metadata string.</summary>
public readonly record struct CommittedOffset(long Offset, int LeaderEpoch, string? Metadata, long CommitTimestamp);
