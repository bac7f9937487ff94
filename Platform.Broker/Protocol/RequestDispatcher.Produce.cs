using Microsoft.Extensions.Logging;
using Platform.Broker.Security;
using Platform.Broker.Storage;

namespace Platform.Broker.Protocol;

internal sealed partial class RequestDispatcher
{
    private readonly record struct ProducePartition(string Topic, bool FirstOfTopic, int TopicPartitionCount, int Index, int RecordsOffset, int RecordsLength);

    /// <summary>
    /// Produce (ProduceRequest/Response.json) v3–8. Request: transactional_id nullable, acks i16, timeout_ms, topics
    /// [name, partitions [index, records (nullable bytes: record batches v2)]]. Response: topics [name, partitions [index,
    /// error, base_offset, log_append_time_ms, log_start_offset (v5+), record_errors [] (v8), error_message (v8)]],
    /// throttle_time_ms. Batches are appended as received (compressed ones stay compressed); the storage validates them
    /// and rewrites only the base offset. Every partition's append starts before any is awaited, in request order.
    /// acks=0 sends no response.
    /// </summary>
    private async ValueTask<ResponseBuffer?> ProduceAsync(RequestContext ctx, CancellationToken cancellationToken)
    {
        var version = ctx.Version;
        var partitions = ParseProduce(ctx, out var acks);
        var results = new AppendResult[partitions.Count];
        var pending = new ValueTask<AppendResult>[partitions.Count];
        var started = new bool[partitions.Count];
        var acksValid = acks is 0 or 1 or -1;
        TopicLog? topic = null;
        var authorized = true;
        for (var i = 0; i < partitions.Count; i++)
        {
            var p = partitions[i];
            if (p.FirstOfTopic)
            {
                authorized = Authorize(ctx, AclResourceType.Topic, p.Topic, AclOperation.Write);
                _log.TryGetTopic(p.Topic, out topic);
            }

            if (!acksValid)
            {
                results[i] = new AppendResult(ErrorCode.InvalidRequiredAcks, -1, -1, -1, $"acks must be 0, 1 or -1, was {acks}");
            }
            else if (!authorized)
            {
                results[i] = new AppendResult(ErrorCode.TopicAuthorizationFailed, -1, -1, -1, $"not authorized to write to topic {p.Topic}");
            }
            else if (topic is null || p.Index < 0 || p.Index >= topic.Partitions.Count)
            {
                results[i] = new AppendResult(ErrorCode.UnknownTopicOrPartition, -1, -1, -1, $"unknown topic or partition {p.Topic}-{p.Index}");
            }
            else if (p.RecordsOffset < 0)
            {
                results[i] = new AppendResult(ErrorCode.InvalidRecord, -1, -1, -1, "records are null");
            }
            else
            {
                try
                {
#pragma warning disable CA2012 // stored to start every partition's append before awaiting; each is awaited exactly once below
                    pending[i] = topic.Partitions[p.Index].AppendAsync(ctx.Frame.AsMemory(p.RecordsOffset, p.RecordsLength), cancellationToken);
#pragma warning restore CA2012
                    started[i] = true;
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
                {
                    results[i] = StorageFailure(p, ex);
                }
            }
        }

        for (var i = 0; i < partitions.Count; i++)
        {
            if (!started[i])
            {
                continue;
            }

            try
            {
                results[i] = await pending[i];
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
            {
                results[i] = StorageFailure(partitions[i], ex);
            }
        }

        if (acks == 0)
        {
            return null;
        }

        var w = ctx.NewResponse(64 + (partitions.Count * 48));
        var topicCountAt = w.ReserveInt32();
        var topicCount = 0;
        var partitionCountAt = 0;
        for (var i = 0; i < partitions.Count; i++)
        {
            var p = partitions[i];
            if (p.FirstOfTopic)
            {
                topicCount++;
                w.WriteString(p.Topic);
                partitionCountAt = w.ReserveInt32();
                w.PatchInt32(partitionCountAt, p.TopicPartitionCount);
            }

            var r = results[i];
            w.WriteInt32(p.Index);
            w.WriteInt16(r.Error);
            w.WriteInt64(r.Error == ErrorCode.None ? r.BaseOffset : -1);
            w.WriteInt64(r.Error == ErrorCode.None ? r.LogAppendTime : -1);
            if (version >= 5)
            {
                w.WriteInt64(r.Error == ErrorCode.None ? r.LogStartOffset : -1);
            }

            if (version >= 8)
            {
                w.WriteInt32(0);
                w.WriteString(r.Error == ErrorCode.None ? null : r.ErrorMessage);
            }

            if (r.Error != ErrorCode.None)
            {
                LogProduceRejected(_logger, p.Topic, p.Index, r.Error, r.ErrorMessage);
            }
        }

        w.PatchInt32(topicCountAt, topicCount);
        w.WriteInt32(0);
        return w;
    }

    private AppendResult StorageFailure(ProducePartition p, Exception ex)
    {
        LogAppendFailed(_logger, p.Topic, p.Index, ex);
        return new AppendResult(ErrorCode.KafkaStorageError, -1, -1, -1, ex.Message);
    }

    private static List<ProducePartition> ParseProduce(RequestContext ctx, out short acks)
    {
        var reader = ctx.BodyReader();
        reader.ReadNullableString();
        acks = reader.ReadInt16();
        reader.ReadInt32();
        var topicCount = reader.ReadArrayCount(2 + 4);
        var list = new List<ProducePartition>(Math.Max(topicCount, 1));
        for (var t = 0; t < topicCount; t++)
        {
            var name = reader.ReadString();
            var partitionCount = reader.ReadArrayCount(4 + 4);
            for (var i = 0; i < partitionCount; i++)
            {
                var index = reader.ReadInt32();
                var (offset, length) = reader.ReadBytesRange();
                list.Add(new ProducePartition(name, i == 0, partitionCount, index, offset, length));
            }
        }

        EndOfBody(ref reader, ctx);
        return list;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Produce to {Topic}-{Partition} rejected: {Error} {Message}")]
    private static partial void LogProduceRejected(ILogger logger, string topic, int partition, ErrorCode error, string? message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Append to {Topic}-{Partition} failed")]
    private static partial void LogAppendFailed(ILogger logger, string topic, int partition, Exception exception);
}
