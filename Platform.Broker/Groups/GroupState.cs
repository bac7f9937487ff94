namespace Platform.Broker.Groups;

/// <summary>The classic group protocol's states (names as Kafka reports them in DescribeGroups/ListGroups).</summary>
public enum GroupState
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}
