using Microsoft.Extensions.Logging;
using Platform.Broker.Security;
using Platform.Broker.Storage;

namespace Platform.Broker.Protocol;

internal sealed partial class RequestDispatcher
{
    /// <summary>
    /// CreateTopics (CreateTopicsRequest/Response.json) v0–4. Request: topics [name, num_partitions, replication_factor,
    /// assignments [partition_index, broker_ids [i32]], configs [name, value nullable]], timeout_ms, validate_only (v1+).
    /// Response: throttle (v2+), topics [name, error, error_message (v1+)].
    /// </summary>
    private ResponseBuffer CreateTopics(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var count = reader.ReadArrayCount(2 + 4 + 2 + 4 + 4);
        var topics = new List<(string Name, int Partitions, short Replication, int Assignments, List<KeyValuePair<string, string?>> Configs)>(count);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var partitions = reader.ReadInt32();
            var replication = reader.ReadInt16();
            var assignments = reader.ReadArrayCount(8);
            for (var a = 0; a < assignments; a++)
            {
                reader.ReadInt32();
                var brokers = reader.ReadArrayCount(4);
                for (var b = 0; b < brokers; b++)
                {
                    reader.ReadInt32();
                }
            }

            var configCount = reader.ReadArrayCount(4);
            var configs = new List<KeyValuePair<string, string?>>(configCount);
            for (var c = 0; c < configCount; c++)
            {
                configs.Add(new(reader.ReadString(), reader.ReadNullableString()));
            }

            topics.Add((name, partitions, replication, assignments, configs));
        }

        reader.ReadInt32();
        var validateOnly = version >= 1 && reader.ReadBool();
        EndOfBody(ref reader, ctx);

        var w = ctx.NewResponse(64 + (count * 64));
        if (version >= 2)
        {
            w.WriteInt32(0);
        }

        w.WriteInt32(topics.Count);
        foreach (var t in topics)
        {
            var (error, message) = AuthorizeCreate(ctx, t.Name)
                ? CreateTopic(t.Name, t.Partitions, t.Replication, t.Assignments, t.Configs, validateOnly)
                : (ErrorCode.TopicAuthorizationFailed, $"not authorized to create topic {t.Name}");
            w.WriteString(t.Name);
            w.WriteInt16(error);
            if (version >= 1)
            {
                w.WriteString(message);
            }
        }

        return w;
    }

    private (ErrorCode Error, string? Message) CreateTopic(string name, int partitions, short replication, int assignments, List<KeyValuePair<string, string?>> configs, bool validateOnly)
    {
        if (assignments > 0)
        {
            if (partitions != -1 || replication != -1)
            {
                return (ErrorCode.InvalidRequest, "give either replica assignments or partitions and replication factor, not both");
            }

            partitions = assignments;
            replication = 1;
        }

        if (partitions == -1)
        {
            partitions = _options.DefaultPartitions;
        }

        if (partitions <= 0)
        {
            return (ErrorCode.InvalidPartitions, $"number of partitions must be positive, was {partitions}");
        }

        if (replication is not (-1 or 1))
        {
            return (ErrorCode.InvalidReplicationFactor, $"replication factor {replication} is larger than the 1 broker available");
        }

        if (ParseTopicConfig(name, configs, out var config) is { } invalid)
        {
            return (ErrorCode.InvalidConfig, invalid);
        }

        if (_log.TryGetTopic(name, out _))
        {
            return (ErrorCode.TopicAlreadyExists, $"topic '{name}' already exists");
        }

        if (validateOnly)
        {
            return IsValidTopicName(name) ? (ErrorCode.None, null) : (ErrorCode.InvalidTopicException, $"invalid topic name '{name}'");
        }

        try
        {
            _log.CreateTopic(name, partitions, config);
            LogTopicCreated(_logger, name, partitions);
            return (ErrorCode.None, null);
        }
        catch (TopicExistsException)
        {
            return (ErrorCode.TopicAlreadyExists, $"topic '{name}' already exists");
        }
        catch (ArgumentException ex)
        {
            return (ErrorCode.InvalidTopicException, ex.Message);
        }
    }

    private static bool IsValidTopicName(string name)
    {
        if (name.Length is 0 or > 249 || name is "." or "..")
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// DeleteTopics (DeleteTopicsRequest/Response.json) v0–3. Request: topic_names [string], timeout_ms.
    /// Response: throttle (v1+), responses [name, error]. Committed offsets of a deleted topic are dropped.
    /// </summary>
    private ResponseBuffer DeleteTopics(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        var names = reader.ReadStringArray();
        reader.ReadInt32();
        EndOfBody(ref reader, ctx);
        var w = ctx.NewResponse(64 + (names.Count * 32));
        if (version >= 1)
        {
            w.WriteInt32(0);
        }

        w.WriteInt32(names.Count);
        foreach (var name in names)
        {
            if (!Authorize(ctx, AclResourceType.Topic, name, AclOperation.Delete))
            {
                w.WriteString(name);
                w.WriteInt16(ErrorCode.TopicAuthorizationFailed);
                continue;
            }

            var deleted = _log.DeleteTopic(name);
            if (deleted)
            {
                _groups.Offsets.RemoveTopic(name);
                LogTopicDeleted(_logger, name);
            }

            w.WriteString(name);
            w.WriteInt16(deleted ? ErrorCode.None : ErrorCode.UnknownTopicOrPartition);
        }

        return w;
    }

    /// <summary>
    /// ListOffsets (ListOffsetsRequest/Response.json) v0–5. Request: replica_id, isolation_level (v2+), topics [name,
    /// partitions [index, current_leader_epoch (v4+), timestamp, max_num_offsets (v0)]]. Response: throttle (v2+), topics
    /// [name, partitions [index, error, old_style_offsets [i64] (v0) | timestamp, offset (v1+), leader_epoch (v4+)]].
    /// Timestamp -1 = latest (log end), -2 = earliest (log start), otherwise the first offset at or after it.
    /// </summary>
    private ResponseBuffer ListOffsets(RequestContext ctx)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        reader.ReadInt32();
        if (version >= 2)
        {
            reader.ReadInt8();
        }

        var partitionSize = 4 + 8 + (version >= 4 ? 4 : 0) + (version == 0 ? 4 : 0);
        var topicCount = reader.ReadArrayCount(2 + 4);
        var w = ctx.NewResponse(128);
        if (version >= 2)
        {
            w.WriteInt32(0);
        }

        w.WriteInt32(topicCount);
        for (var t = 0; t < topicCount; t++)
        {
            var name = reader.ReadString();
            TopicLog? topic = null;
            var authorized = Authorize(ctx, AclResourceType.Topic, name, AclOperation.Describe);
            if (authorized)
            {
                _log.TryGetTopic(name, out topic);
            }

            var partitionCount = reader.ReadArrayCount(partitionSize);
            w.WriteString(name);
            w.WriteInt32(partitionCount);
            for (var i = 0; i < partitionCount; i++)
            {
                var index = reader.ReadInt32();
                if (version >= 4)
                {
                    reader.ReadInt32();
                }

                var timestamp = reader.ReadInt64();
                if (version == 0)
                {
                    reader.ReadInt32();
                }

                var error = ErrorCode.None;
                long offset = -1, foundTimestamp = -1;
                if (!authorized)
                {
                    error = ErrorCode.TopicAuthorizationFailed;
                }
                else if (topic is null || index < 0 || index >= topic.Partitions.Count)
                {
                    error = ErrorCode.UnknownTopicOrPartition;
                }
                else
                {
                    var partition = topic.Partitions[index];
                    switch (timestamp)
                    {
                        case -1:
                            offset = partition.LogEndOffset;
                            break;
                        case -2:
                            offset = partition.LogStartOffset;
                            break;
                        default:
                            if (timestamp < 0)
                            {
                                error = ErrorCode.InvalidRequest;
                            }
                            else
                            {
                                try
                                {
                                    if (partition.FindOffsetByTimestamp(timestamp) is { } found)
                                    {
                                        (offset, foundTimestamp) = found;
                                    }
                                }
                                catch (ObjectDisposedException)
                                {
                                    error = ErrorCode.UnknownTopicOrPartition; // its topic was just deleted
                                }
                            }

                            break;
                    }

                    if (partition.IsClosed)
                    {
                        (error, offset, foundTimestamp) = (ErrorCode.UnknownTopicOrPartition, -1, -1);
                    }
                }

                w.WriteInt32(index);
                w.WriteInt16(error);
                if (version == 0)
                {
                    if (error == ErrorCode.None && offset >= 0)
                    {
                        w.WriteInt32(1);
                        w.WriteInt64(offset);
                    }
                    else
                    {
                        w.WriteInt32(0);
                    }
                }
                else
                {
                    w.WriteInt64(foundTimestamp);
                    w.WriteInt64(offset);
                    if (version >= 4)
                    {
                        w.WriteInt32(-1);
                    }
                }
            }
        }

        EndOfBody(ref reader, ctx);
        return w;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created topic {Topic} with {Partitions} partitions")]
    private static partial void LogTopicCreated(ILogger logger, string topic, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted topic {Topic}")]
    private static partial void LogTopicDeleted(ILogger logger, string topic);
}
