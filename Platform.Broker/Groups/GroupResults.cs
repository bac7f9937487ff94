namespace Platform.Broker.Groups;

/// <summary>A member as the leader sees it in the JoinGroup answer.</summary>
public readonly record struct JoinGroupMember(string MemberId, string? GroupInstanceId, byte[] Metadata);

/// <summary>The JoinGroup answer for one member.</summary>
public sealed record JoinGroupResult(
    ErrorCode Error,
    int GenerationId,
    string? ProtocolType,
    string? ProtocolName,
    string LeaderId,
    string MemberId,
    IReadOnlyList<JoinGroupMember> Members)
{
    public static JoinGroupResult Failed(ErrorCode error, string memberId = "") => new(error, -1, null, null, "", memberId, []);
}

/// <summary>The SyncGroup answer for one member.</summary>
public sealed record SyncGroupResult(ErrorCode Error, string? ProtocolType, string? ProtocolName, byte[] Assignment)
{
    public static SyncGroupResult Failed(ErrorCode error) => new(error, null, null, []);
}

/// <summary>The JoinGroup request fields the coordinator uses.</summary>
public sealed record JoinGroupRequest(
    string GroupId,
    int SessionTimeoutMs,
    int RebalanceTimeoutMs,
    string MemberId,
    string? GroupInstanceId,
    string ProtocolType,
    IReadOnlyList<(string Name, byte[] Metadata)> Protocols,
    string ClientId,
    string ClientHost);

/// <summary>A group as DescribeGroups shows it.</summary>
public sealed record GroupDescription(
    string GroupId,
    GroupState State,
    string ProtocolType,
    string ProtocolName,
    int GenerationId,
    IReadOnlyList<GroupMemberDescription> Members);

/// <summary>A member as DescribeGroups shows it.</summary>
public sealed record GroupMemberDescription(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, byte[] Metadata, byte[] Assignment);
