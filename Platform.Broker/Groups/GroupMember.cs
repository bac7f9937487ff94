namespace Platform.Broker.Groups;

/// <summary>One member of a classic consumer group, as the coordinator tracks it.</summary>
internal sealed class GroupMember
{
    public GroupMember(string memberId, string? groupInstanceId, string clientId, string clientHost)
    {
        MemberId = memberId;
        GroupInstanceId = groupInstanceId;
        ClientId = clientId;
        ClientHost = clientHost;
    }

    public string MemberId { get; }

    public string? GroupInstanceId { get; }

    public string ClientId { get; }

    public string ClientHost { get; }

    public int SessionTimeoutMs { get; set; }

    public int RebalanceTimeoutMs { get; set; }

    public string ProtocolType { get; set; } = "";

    /// <summary>The protocols (assignors) this member supports, in its order of preference, with their metadata.</summary>
    public IReadOnlyList<(string Name, byte[] Metadata)> Protocols { get; set; } = [];

    public byte[] Assignment { get; set; } = [];

    public long LastHeartbeatTicks { get; set; }

    /// <summary>Set while the member waits in JoinGroup for the rebalance to complete.</summary>
    public TaskCompletionSource<JoinGroupResult>? JoinWaiter { get; set; }

    /// <summary>Set while the member waits in SyncGroup for the leader's assignment.</summary>
    public TaskCompletionSource<SyncGroupResult>? SyncWaiter { get; set; }

    public byte[]? MetadataFor(string protocol)
    {
        foreach (var (name, metadata) in Protocols)
        {
            if (name == protocol)
            {
                return metadata;
            }
        }

        return null;
    }
}
