using Microsoft.Extensions.Logging;
using Platform.Broker.Security;
using Platform.Broker.Storage;

namespace Platform.Broker.Protocol;

internal sealed partial class RequestDispatcher
{
    /// <summary>
    /// ApiVersions (ApiVersionsRequest/Response.json) v0–3. v0–2 bodies: error_code i16, [api_key i16, min i16, max i16],
    /// throttle_time_ms i32 (v1+). v3 (flexible, header stays v0): error_code, compact array of entries each with a
    /// tag section, throttle_time_ms, tag section. Any other version: the v0 body with UNSUPPORTED_VERSION (the client
    /// retries with a version from the list). The connection is never closed over ApiVersions.
    /// </summary>
    private static ResponseBuffer ApiVersions(RequestContext ctx)
    {
        var version = ctx.Version;
        var supported = version is >= 0 and <= 3;
        var w = ctx.NewResponse(256);
        w.WriteInt16(supported ? ErrorCode.None : ErrorCode.UnsupportedVersion);
        var table = ApiVersionTable.Supported;
        if (supported && version >= 3)
        {
            w.WriteUnsignedVarint((uint)table.Length + 1);
            foreach (var r in table)
            {
                w.WriteInt16((short)r.Key);
                w.WriteInt16(r.Min);
                w.WriteInt16(r.Max);
                w.WriteUnsignedVarint(0);
            }

            w.WriteInt32(0);
            w.WriteUnsignedVarint(0);
            return w;
        }

        w.WriteInt32(table.Length);
        foreach (var r in table)
        {
            w.WriteInt16((short)r.Key);
            w.WriteInt16(r.Min);
            w.WriteInt16(r.Max);
        }

        if (supported && version >= 1)
        {
            w.WriteInt32(0);
        }

        return w;
    }

    /// <summary>
    /// Metadata (MetadataRequest/Response.json) v1–8. Request: topics nullable [name], allow_auto_topic_creation (v4+),
    /// include_cluster_authorized_operations + include_topic_authorized_operations (v8). Response: throttle (v3+),
    /// brokers [node_id, host, port, rack], cluster_id (v2+), controller_id, topics [error, name, is_internal,
    /// partitions [error, index, leader, leader_epoch (v7+), replicas, isr, offline_replicas (v5+)],
    /// topic_authorized_operations (v8)], cluster_authorized_operations (v8).
    /// </summary>
    private ResponseBuffer Metadata(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var count = reader.ReadArrayCount(2, nullable: true);
        List<string>? names = null;
        if (count >= 0)
        {
            names = new List<string>(count);
            for (var i = 0; i < count; i++)
            {
                names.Add(reader.ReadString());
            }
        }

        var allowAutoCreate = version < 4 || reader.ReadBool();
        if (version >= 8)
        {
            reader.ReadBool();
            reader.ReadBool();
        }

        EndOfBody(ref reader, ctx);

        var w = ctx.NewResponse(512);
        if (version >= 3)
        {
            w.WriteInt32(0);
        }

        var nodeId = _options.NodeId;
        w.WriteInt32(1);
        w.WriteInt32(nodeId);
        var (host, port) = AdvertisedAddress(ctx);
        w.WriteString(host);
        w.WriteInt32(port);
        w.WriteString(null);
        if (version >= 2)
        {
            w.WriteString(_options.ClusterId);
        }

        w.WriteInt32(nodeId);
        if (names is null)
        {
            var topics = _log.Topics;
            var countAt = w.ReserveInt32();
            var visible = 0;
            foreach (var topic in topics)
            {
                // With ACLs on, topics the principal may not describe are left out of the full list.
                if (ctx.Connection.Session.IsAllowed(AclResourceType.Topic, topic.Name, AclOperation.Describe))
                {
                    WriteTopicMetadata(w, version, topic.Name, topic, ErrorCode.None);
                    visible++;
                }
            }

            w.PatchInt32(countAt, visible);
        }
        else
        {
            w.WriteInt32(names.Count);
            foreach (var name in names)
            {
                var (topic, error) = Authorize(ctx, AclResourceType.Topic, name, AclOperation.Describe)
                    ? GetOrCreateTopic(ctx, name, allowAutoCreate)
                    : (null, ErrorCode.TopicAuthorizationFailed);
                WriteTopicMetadata(w, version, name, topic, error);
            }
        }

        if (version >= 8)
        {
            w.WriteInt32(int.MinValue);
        }

        return w;
    }

    private (TopicLog? Topic, ErrorCode Error) GetOrCreateTopic(RequestContext ctx, string name, bool allowAutoCreate)
    {
        if (_log.TryGetTopic(name, out var topic))
        {
            return (topic, ErrorCode.None);
        }

        if (!allowAutoCreate || !_options.AutoCreateTopics || !AuthorizeCreate(ctx, name))
        {
            return (null, ErrorCode.UnknownTopicOrPartition);
        }

        try
        {
            topic = _log.CreateTopic(name, _options.DefaultPartitions);
            LogTopicAutoCreated(_logger, name, _options.DefaultPartitions);
            return (topic, ErrorCode.None);
        }
        catch (TopicExistsException)
        {
            return _log.TryGetTopic(name, out topic) ? (topic, ErrorCode.None) : (null, ErrorCode.LeaderNotAvailable);
        }
        catch (ArgumentException)
        {
            return (null, ErrorCode.InvalidTopicException);
        }
    }

    private void WriteTopicMetadata(ResponseBuffer w, short version, string name, TopicLog? topic, ErrorCode error)
    {
        w.WriteInt16(error);
        w.WriteString(name);
        w.WriteBool(false);
        if (topic is null)
        {
            w.WriteInt32(0);
        }
        else
        {
            var partitions = topic.Partitions.Count;
            w.WriteInt32(partitions);
            for (var p = 0; p < partitions; p++)
            {
                w.WriteInt16(ErrorCode.None);
                w.WriteInt32(p);
                w.WriteInt32(_options.NodeId);
                if (version >= 7)
                {
                    w.WriteInt32(-1);
                }

                w.WriteInt32(1);
                w.WriteInt32(_options.NodeId);
                w.WriteInt32(1);
                w.WriteInt32(_options.NodeId);
                if (version >= 5)
                {
                    w.WriteInt32(0);
                }
            }
        }

        if (version >= 8)
        {
            w.WriteInt32(int.MinValue);
        }
    }

    /// <summary>
    /// FindCoordinator (FindCoordinatorRequest/Response.json) v0–2. Request: key, key_type i8 (v1+). Response: throttle
    /// (v1+), error, error_message (v1+), node_id, host, port. This broker coordinates every group; transactions are not
    /// offered (key_type 1 gets COORDINATOR_NOT_AVAILABLE).
    /// </summary>
    private ResponseBuffer FindCoordinator(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var key = reader.ReadString();
        var keyType = version >= 1 ? reader.ReadInt8() : (sbyte)0;
        EndOfBody(ref reader, ctx);
        if (keyType == 0 && !Authorize(ctx, AclResourceType.Group, key, AclOperation.Describe))
        {
            var denied = ctx.NewResponse(64);
            if (version >= 1)
            {
                denied.WriteInt32(0);
            }

            denied.WriteInt16(ErrorCode.GroupAuthorizationFailed);
            if (version >= 1)
            {
                denied.WriteString($"not authorized to use group {key}");
            }

            denied.WriteInt32(-1);
            denied.WriteString("");
            denied.WriteInt32(-1);
            return denied;
        }
        var w = ctx.NewResponse(64);
        if (version >= 1)
        {
            w.WriteInt32(0);
        }

        if (keyType != 0)
        {
            w.WriteInt16(ErrorCode.CoordinatorNotAvailable);
            if (version >= 1)
            {
                w.WriteString("transactions are not supported by this broker");
            }

            w.WriteInt32(-1);
            w.WriteString("");
            w.WriteInt32(-1);
            return w;
        }

        w.WriteInt16(ErrorCode.None);
        if (version >= 1)
        {
            w.WriteString(null);
        }

        w.WriteInt32(_options.NodeId);
        var (host, port) = AdvertisedAddress(ctx);
        w.WriteString(host);
        w.WriteInt32(port);
        return w;
    }

    /// <summary>
    /// InitProducerId (InitProducerIdRequest/Response.json) v0–1. Request: transactional_id nullable, transaction_timeout_ms.
    /// Response: throttle, error, producer_id, producer_epoch. Idempotent producers (null transactional id) get a fresh
    /// persisted id with epoch 0; transactional ids are refused.
    /// </summary>
    private ResponseBuffer InitProducerId(RequestContext ctx)
    {
        var reader = ctx.BodyReader();
        var transactionalId = reader.ReadNullableString();
        reader.ReadInt32();
        EndOfBody(ref reader, ctx);
        var w = ctx.NewResponse(32);
        w.WriteInt32(0);
        if (transactionalId is not null)
        {
            w.WriteInt16(TransactionalIdAuthorizationFailed);
            w.WriteInt64(-1);
            w.WriteInt16((short)-1);
            return w;
        }

        var producerId = _log.AllocateProducerId();
        w.WriteInt16(ErrorCode.None);
        w.WriteInt64(producerId);
        w.WriteInt16((short)0);
        return w;
    }

    /// <summary>TRANSACTIONAL_ID_AUTHORIZATION_FAILED: this broker does not run transactions.</summary>
    private const ErrorCode TransactionalIdAuthorizationFailed = (ErrorCode)53;

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto-created topic {Topic} with {Partitions} partitions")]
    private static partial void LogTopicAutoCreated(ILogger logger, string topic, int partitions);
}
