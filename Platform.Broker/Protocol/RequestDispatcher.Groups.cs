using Platform.Broker.Groups;
using Platform.Broker.Security;

namespace Platform.Broker.Protocol;

internal sealed partial class RequestDispatcher
{
    /// <summary>
    /// JoinGroup (JoinGroupRequest/Response.json) v0–5. Request: group_id, session_timeout_ms, rebalance_timeout_ms (v1+),
    /// member_id, group_instance_id (v5+), protocol_type, protocols [name, metadata bytes]. Response: throttle (v2+),
    /// error, generation_id, protocol_name, leader, member_id, members [member_id, group_instance_id (v5+), metadata].
    /// A new member gets its id at once (never MEMBER_ID_REQUIRED). Parks until the rebalance completes; when the
    /// connection closes meanwhile the member is removed, so the rebalance completes without it.
    /// </summary>
    private async ValueTask<ResponseBuffer?> JoinGroupAsync(RequestContext ctx, CancellationToken cancellationToken)
    {
        var version = ctx.Version;
        JoinGroupRequest request;
        {
            var reader = ctx.BodyReader();
            var groupId = reader.ReadString();
            var sessionTimeout = reader.ReadInt32();
            var rebalanceTimeout = version >= 1 ? reader.ReadInt32() : sessionTimeout;
            var memberId = reader.ReadString();
            var instanceId = version >= 5 ? reader.ReadNullableString() : null;
            var protocolType = reader.ReadString();
            var count = reader.ReadArrayCount(2 + 4);
            var protocols = new List<(string, byte[])>(count);
            for (var i = 0; i < count; i++)
            {
                protocols.Add((reader.ReadString(), reader.ReadNullableBytes() ?? []));
            }

            EndOfBody(ref reader, ctx);
            request = new JoinGroupRequest(groupId, sessionTimeout, rebalanceTimeout, memberId, instanceId, protocolType, protocols,
                ctx.Header.ClientId ?? "", ctx.Connection.RemoteHost);
        }

        var result = Authorize(ctx, AclResourceType.Group, request.GroupId, AclOperation.Read)
            ? await _groups.JoinAsync(request, cancellationToken)
            : JoinGroupResult.Failed(ErrorCode.GroupAuthorizationFailed, request.MemberId);
        var w = ctx.NewResponse(128);
        if (version >= 2)
        {
            w.WriteInt32(0);
        }

        w.WriteInt16(result.Error);
        w.WriteInt32(result.GenerationId);
        w.WriteString(result.ProtocolName ?? "");
        w.WriteString(result.LeaderId);
        w.WriteString(result.MemberId);
        w.WriteInt32(result.Members.Count);
        foreach (var m in result.Members)
        {
            w.WriteString(m.MemberId);
            if (version >= 5)
            {
                w.WriteString(m.GroupInstanceId);
            }

            w.WriteBytes(m.Metadata);
        }

        return w;
    }

    /// <summary>
    /// SyncGroup (SyncGroupRequest/Response.json) v0–3. Request: group_id, generation_id, member_id, group_instance_id
    /// (v3+), assignments [member_id, assignment bytes]. Response: throttle (v1+), error, assignment bytes.
    /// </summary>
    private async ValueTask<ResponseBuffer?> SyncGroupAsync(RequestContext ctx, CancellationToken cancellationToken)
    {
        var version = ctx.Version;
        string groupId, memberId;
        int generation;
        List<(string, byte[])> assignments;
        {
            var reader = ctx.BodyReader();
            groupId = reader.ReadString();
            generation = reader.ReadInt32();
            memberId = reader.ReadString();
            if (version >= 3)
            {
                reader.ReadNullableString();
            }

            var count = reader.ReadArrayCount(2 + 4);
            assignments = new List<(string, byte[])>(count);
            for (var i = 0; i < count; i++)
            {
                assignments.Add((reader.ReadString(), reader.ReadNullableBytes() ?? []));
            }

            EndOfBody(ref reader, ctx);
        }

        var result = Authorize(ctx, AclResourceType.Group, groupId, AclOperation.Read)
            ? await _groups.SyncAsync(groupId, generation, memberId, assignments, cancellationToken)
            : SyncGroupResult.Failed(ErrorCode.GroupAuthorizationFailed);
        var w = ctx.NewResponse(64 + result.Assignment.Length);
        if (version >= 1)
        {
            w.WriteInt32(0);
        }

        w.WriteInt16(result.Error);
        w.WriteBytes(result.Assignment);
        return w;
    }

    /// <summary>Heartbeat (HeartbeatRequest/Response.json) v0–3: group_id, generation_id, member_id, group_instance_id (v3+) → throttle (v1+), error.</summary>
    private ResponseBuffer Heartbeat(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var groupId = reader.ReadString();
        var generation = reader.ReadInt32();
        var memberId = reader.ReadString();
        if (version >= 3)
        {
            reader.ReadNullableString();
        }

        EndOfBody(ref reader, ctx);
        var error = Authorize(ctx, AclResourceType.Group, groupId, AclOperation.Read)
            ? _groups.Heartbeat(groupId, generation, memberId)
            : ErrorCode.GroupAuthorizationFailed;
        var w = ctx.NewResponse(16);
        if (version >= 1)
        {
            w.WriteInt32(0);
        }

        w.WriteInt16(error);
        return w;
    }

    /// <summary>LeaveGroup (LeaveGroupRequest/Response.json) v0–1: group_id, member_id → throttle (v1), error.</summary>
    private ResponseBuffer LeaveGroup(RequestContext ctx)
    {
        var reader = ctx.BodyReader();
        var groupId = reader.ReadString();
        var memberId = reader.ReadString();
        EndOfBody(ref reader, ctx);
        var error = Authorize(ctx, AclResourceType.Group, groupId, AclOperation.Read)
            ? _groups.Leave(groupId, memberId)
            : ErrorCode.GroupAuthorizationFailed;
        var w = ctx.NewResponse(16);
        if (ctx.Version >= 1)
        {
            w.WriteInt32(0);
        }

        w.WriteInt16(error);
        return w;
    }

    /// <summary>
    /// DescribeGroups (DescribeGroupsRequest/Response.json) v0–4. Request: groups [string], include_authorized_operations
    /// (v3+). Response: throttle (v1+), groups [error, group_id, state, protocol_type, protocol_data, members [member_id,
    /// group_instance_id (v4), client_id, client_host, metadata, assignment], authorized_operations (v3+)].
    /// </summary>
    private ResponseBuffer DescribeGroups(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var ids = reader.ReadStringArray();
        if (version >= 3)
        {
            reader.ReadBool();
        }

        EndOfBody(ref reader, ctx);
        var w = ctx.NewResponse(256);
        if (version >= 1)
        {
            w.WriteInt32(0);
        }

        w.WriteInt32(ids.Count);
        foreach (var id in ids)
        {
            if (!Authorize(ctx, AclResourceType.Group, id, AclOperation.Describe))
            {
                w.WriteInt16(ErrorCode.GroupAuthorizationFailed);
                w.WriteString(id);
                w.WriteString("");
                w.WriteString("");
                w.WriteString("");
                w.WriteInt32(0);
                if (version >= 3)
                {
                    w.WriteInt32(int.MinValue);
                }

                continue;
            }

            var d = _groups.Describe(id);
            w.WriteInt16(ErrorCode.None);
            w.WriteString(d.GroupId);
            w.WriteString(d.State.ToString());
            w.WriteString(d.ProtocolType);
            w.WriteString(d.ProtocolName);
            w.WriteInt32(d.Members.Count);
            foreach (var m in d.Members)
            {
                w.WriteString(m.MemberId);
                if (version >= 4)
                {
                    w.WriteString(m.GroupInstanceId);
                }

                w.WriteString(m.ClientId);
                w.WriteString(m.ClientHost);
                w.WriteBytes(m.Metadata);
                w.WriteBytes(m.Assignment);
            }

            if (version >= 3)
            {
                w.WriteInt32(int.MinValue);
            }
        }

        return w;
    }

    /// <summary>ListGroups (ListGroupsRequest/Response.json) v0–2: empty request → throttle (v1+), error, groups [group_id, protocol_type].</summary>
    private ResponseBuffer ListGroups(RequestContext ctx)
    {
        var reader = ctx.BodyReader();
        EndOfBody(ref reader, ctx);
        var groups = _groups.ListGroups();
        var w = ctx.NewResponse(64 + (groups.Count * 32));
        if (ctx.Version >= 1)
        {
            w.WriteInt32(0);
        }

        w.WriteInt16(ErrorCode.None);
        var countAt = w.ReserveInt32();
        var visible = 0;
        foreach (var (id, _, protocolType) in groups)
        {
            // With ACLs on, only the groups the principal may describe are listed.
            if (ctx.Connection.Session.IsAllowed(AclResourceType.Group, id, AclOperation.Describe))
            {
                w.WriteString(id);
                w.WriteString(protocolType);
                visible++;
            }
        }

        w.PatchInt32(countAt, visible);

        return w;
    }

    /// <summary>
    /// OffsetCommit (OffsetCommitRequest/Response.json) v2–7. Request: group_id, generation_id, member_id,
    /// group_instance_id (v7), retention_time_ms (v2–4), topics [name, partitions [index, committed_offset,
    /// committed_leader_epoch (v6+), committed_metadata nullable]]. Response: throttle (v3+), topics [name, partitions
    /// [index, error]]. The commit is durable (checkpoint fsynced) before the answer.
    /// </summary>
    private async ValueTask<ResponseBuffer?> OffsetCommitAsync(RequestContext ctx, CancellationToken cancellationToken)
    {
        // The whole request is parsed (and checked to end where its schema does) before anything is committed: a
        // malformed or truncated OffsetCommit changes no state.
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var groupId = reader.ReadString();
        var generation = reader.ReadInt32();
        var memberId = reader.ReadString();
        if (version >= 7)
        {
            reader.ReadNullableString();
        }

        if (version <= 4)
        {
            reader.ReadInt64();
        }

        var partitionSize = 4 + 8 + 2 + (version >= 6 ? 4 : 0);
        var topicCount = reader.ReadArrayCount(2 + 4);
        var topics = new List<(string Name, List<(int Index, long Offset, int Epoch, string? Metadata)> Partitions)>(topicCount);
        for (var t = 0; t < topicCount; t++)
        {
            var name = reader.ReadString();
            var partitionCount = reader.ReadArrayCount(partitionSize);
            var partitions = new List<(int, long, int, string?)>(partitionCount);
            for (var i = 0; i < partitionCount; i++)
            {
                var index = reader.ReadInt32();
                var offset = reader.ReadInt64();
                var epoch = version >= 6 ? reader.ReadInt32() : -1;
                partitions.Add((index, offset, epoch, reader.ReadNullableString()));
            }

            topics.Add((name, partitions));
        }

        EndOfBody(ref reader, ctx);

        var groupError = Authorize(ctx, AclResourceType.Group, groupId, AclOperation.Read)
            ? _groups.ValidateCommit(groupId, generation, memberId)
            : ErrorCode.GroupAuthorizationFailed;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var w = ctx.NewResponse(128);
        if (version >= 3)
        {
            w.WriteInt32(0);
        }

        w.WriteInt32(topics.Count);
        var committedAny = false;
        foreach (var (name, partitions) in topics)
        {
            _log.TryGetTopic(name, out var topic);
            var topicAuthorized = groupError != ErrorCode.None || Authorize(ctx, AclResourceType.Topic, name, AclOperation.Read);
            w.WriteString(name);
            w.WriteInt32(partitions.Count);
            foreach (var (index, offset, epoch, metadata) in partitions)
            {
                var error = groupError;
                if (error == ErrorCode.None)
                {
                    if (!topicAuthorized)
                    {
                        error = ErrorCode.TopicAuthorizationFailed;
                    }
                    else if (topic is null || index < 0 || index >= topic.Partitions.Count)
                    {
                        error = ErrorCode.UnknownTopicOrPartition;
                    }
                    else if (metadata is { Length: > MaxOffsetMetadataLength })
                    {
                        error = ErrorCode.OffsetMetadataTooLarge;
                    }
                    else
                    {
                        _groups.Offsets.Commit(groupId, name, index, new CommittedOffset(offset, epoch, metadata, now));
                        committedAny = true;
                    }
                }

                w.WriteInt32(index);
                w.WriteInt16(error);
            }
        }

        if (committedAny)
        {
            await _groups.Offsets.PersistAsync(cancellationToken);
        }

        return w;
    }

    /// <summary>Kafka's offset.metadata.max.bytes default.</summary>
    private const int MaxOffsetMetadataLength = 4096;

    /// <summary>
    /// OffsetFetch (OffsetFetchRequest/Response.json) v1–5. Request: group_id, topics (nullable from v2 = all)
    /// [name, partition_indexes [i32]]. Response: throttle (v3+), topics [name, partitions [index, committed_offset,
    /// committed_leader_epoch (v5), metadata, error]], error_code (v2+). No commit → offset -1.
    /// </summary>
    private ResponseBuffer OffsetFetch(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var groupId = reader.ReadString();
        var topicCount = reader.ReadArrayCount(2 + 4, nullable: version >= 2);
        var w = ctx.NewResponse(128);
        if (version >= 3)
        {
            w.WriteInt32(0);
        }

        if (!Authorize(ctx, AclResourceType.Group, groupId, AclOperation.Describe))
        {
            return OffsetFetchDenied(ctx, ref reader, w, topicCount);
        }

        if (topicCount < 0)
        {
            var all = _groups.Offsets.GetAll(groupId);
            all.Sort(static (a, b) => a.Topic != b.Topic ? string.CompareOrdinal(a.Topic, b.Topic) : a.Partition.CompareTo(b.Partition));
            var topicCountAt = w.ReserveInt32();
            var topics = 0;
            var partitionCountAt = 0;
            var partitions = 0;
            string? current = null;
            foreach (var (topic, partition, committed) in all)
            {
                if (!ctx.Connection.Session.IsAllowed(AclResourceType.Topic, topic, AclOperation.Describe))
                {
                    continue;
                }

                if (topic != current)
                {
                    if (current is not null)
                    {
                        w.PatchInt32(partitionCountAt, partitions);
                    }

                    current = topic;
                    topics++;
                    partitions = 0;
                    w.WriteString(topic);
                    partitionCountAt = w.ReserveInt32();
                }

                partitions++;
                WriteOffsetFetchPartition(w, version, partition, committed.Offset, committed.LeaderEpoch, committed.Metadata ?? "");
            }

            if (current is not null)
            {
                w.PatchInt32(partitionCountAt, partitions);
            }

            w.PatchInt32(topicCountAt, topics);
        }
        else
        {
            w.WriteInt32(topicCount);
            for (var t = 0; t < topicCount; t++)
            {
                var name = reader.ReadString();
                var partitionCount = reader.ReadArrayCount(4);
                var topicAuthorized = Authorize(ctx, AclResourceType.Topic, name, AclOperation.Describe);
                w.WriteString(name);
                w.WriteInt32(partitionCount);
                for (var i = 0; i < partitionCount; i++)
                {
                    var index = reader.ReadInt32();
                    if (!topicAuthorized)
                    {
                        WriteOffsetFetchPartition(w, version, index, -1, -1, "", ErrorCode.TopicAuthorizationFailed);
                    }
                    else if (_groups.Offsets.TryGet(groupId, name, index, out var committed))
                    {
                        WriteOffsetFetchPartition(w, version, index, committed.Offset, committed.LeaderEpoch, committed.Metadata ?? "");
                    }
                    else
                    {
                        WriteOffsetFetchPartition(w, version, index, -1, -1, "");
                    }
                }
            }
        }

        EndOfBody(ref reader, ctx);
        if (version >= 2)
        {
            w.WriteInt16(ErrorCode.None);
        }

        return w;
    }

    /// <summary>OffsetFetch for a group the principal may not describe: GROUP_AUTHORIZATION_FAILED on every partition and (v2+) at the top.</summary>
    private static ResponseBuffer OffsetFetchDenied(RequestContext ctx, ref KafkaReader reader, ResponseBuffer w, int topicCount)
    {
        var version = ctx.Version;
        w.WriteInt32(Math.Max(0, topicCount));
        for (var t = 0; t < topicCount; t++)
        {
            w.WriteString(reader.ReadString());
            var partitionCount = reader.ReadArrayCount(4);
            w.WriteInt32(partitionCount);
            for (var i = 0; i < partitionCount; i++)
            {
                WriteOffsetFetchPartition(w, version, reader.ReadInt32(), -1, -1, "", ErrorCode.GroupAuthorizationFailed);
            }
        }

        EndOfBody(ref reader, ctx);
        if (version >= 2)
        {
            w.WriteInt16(ErrorCode.GroupAuthorizationFailed);
        }

        return w;
    }

    private static void WriteOffsetFetchPartition(ResponseBuffer w, short version, int index, long offset, int epoch, string metadata, ErrorCode error = ErrorCode.None)
    {
        w.WriteInt32(index);
        w.WriteInt64(offset);
        if (version >= 5)
        {
            w.WriteInt32(epoch);
        }

        w.WriteString(metadata);
        w.WriteInt16(error);
    }
}
