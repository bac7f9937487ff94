using System.Diagnostics;
using Platform.Broker.Security;
using Platform.Broker.Storage;

namespace Platform.Broker.Protocol;

internal sealed partial class RequestDispatcher
{
    private sealed record FetchPartition(string Topic, bool FirstOfTopic, int TopicPartitionCount, int Index, long Offset, int MaxBytes, PartitionLog? Log, bool Denied = false);

    /// <summary>
    /// Fetch (FetchRequest/Response.json) v4–11. Request: replica_id, max_wait_ms, min_bytes, max_bytes, isolation_level,
    /// session_id + session_epoch (v7+), topics [topic, partitions [partition, current_leader_epoch (v9+), fetch_offset,
    /// log_start_offset (v5+), partition_max_bytes]], forgotten_topics_data (v7+) [topic, [i32]], rack_id (v11).
    /// Response: throttle, error_code + session_id (v7+), responses [topic, partitions [index, error, high_watermark,
    /// last_stable_offset, log_start_offset (v5+), aborted_transactions (empty), preferred_read_replica (v11),
    /// records]]. Whole stored batches are returned from the one holding the fetch offset; the answer is immediate when
    /// max_wait ≤ 0, min_bytes are readable, or a partition has an error; otherwise it parks (without holding a thread
    /// or blocking other connections) until data arrives on any partition or max_wait passes. No fetch sessions.
    /// </summary>
    private async ValueTask<ResponseBuffer?> FetchAsync(RequestContext ctx, CancellationToken cancellationToken)
    {
        var partitions = ParseFetch(ctx, out var maxWaitMs, out var minBytes, out var maxBytes);

        // A client may ask for up to 2 GiB; the broker answers at most MaxFetchBytes (still at least one batch).
        maxBytes = Math.Min(maxBytes, _options.MaxFetchBytes);
        maxWaitMs = (int)Math.Min(maxWaitMs, _options.MaxFetchWait.TotalMilliseconds);
        var deadline = Stopwatch.GetTimestamp() + (Math.Max(0, maxWaitMs) * Stopwatch.Frequency / 1000);
        while (true)
        {
            var ready = maxWaitMs <= 0 || Stopwatch.GetTimestamp() >= deadline;
            if (!ready)
            {
                foreach (var p in partitions)
                {
                    if (p.Log is null || p.Log.IsClosed || p.Offset != p.Log.LogEndOffset)
                    {
                        ready = true; // data, or an error to report (a partition deleted while parked)
                        break;
                    }
                }
            }

            if (ready)
            {
                // Records to read: room for the answer is reserved from the broker-wide budget first (waiting while
                // answers other clients have not read yet fill it), then what the answer really takes is kept.
                var cap = AnswerCap(partitions, maxBytes);
                var reserved = cap > 0 ? await FetchAnswers.ReserveAsync(cap, cancellationToken) : 0;
                ResponseBuffer response;
                long recordBytes;
                try
                {
                    response = BuildFetchResponse(ctx, partitions, maxBytes, out recordBytes);
                }
                catch
                {
                    FetchAnswers.Cancel(reserved);
                    throw;
                }

                if (recordBytes >= minBytes || maxWaitMs <= 0 || Stopwatch.GetTimestamp() >= deadline || HasError(partitions))
                {
                    FetchAnswers.Commit(reserved, response.Length);
                    response.HeldBytes = response.Length;
                    return response;
                }

                response.Dispose();
                FetchAnswers.Cancel(reserved);
            }

            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                continue;
            }

            await WaitForAnyAsync(partitions, remaining, cancellationToken);
        }
    }

    /// <summary>
    /// The most an answer to these partitions can take: their record caps (within max_bytes) plus room for the headers;
    /// 0 when no partition has records to return. An answer of one batch larger than that takes the rest once built.
    /// </summary>
    private static long AnswerCap(List<FetchPartition> partitions, int maxBytes)
    {
        long records = 0;
        foreach (var p in partitions)
        {
            if (p.Log is { IsClosed: false } log && p.Offset >= log.LogStartOffset && p.Offset < log.LogEndOffset)
            {
                records += Math.Max(1, p.MaxBytes);
            }
        }

        return records == 0 ? 0 : Math.Min(records, Math.Max(1, maxBytes)) + 64 + (64L * partitions.Count);
    }

    private static bool HasError(List<FetchPartition> partitions)
    {
        foreach (var p in partitions)
        {
            if (p.Log is null || p.Log.IsClosed || p.Offset < p.Log.LogStartOffset || p.Offset > p.Log.LogEndOffset)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Waits until any partition's log end moves past what this fetch has seen, or the time is up.</summary>
    private static async Task WaitForAnyAsync(List<FetchPartition> partitions, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (partitions.Count == 0)
        {
            // Nothing to wait on (a Fetch naming no partition): it is answered, empty, after its max_wait.
            await Task.Delay(timeout, cancellationToken);
            return;
        }

        if (partitions.Count == 1)
        {
            var p = partitions[0];
            await p.Log!.WaitForDataAsync(Math.Max(p.Offset, p.Log.LogEndOffset), timeout, cancellationToken);
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = new Task<bool>[partitions.Count];
        for (var i = 0; i < partitions.Count; i++)
        {
            var p = partitions[i];
            waits[i] = p.Log!.WaitForDataAsync(Math.Max(p.Offset, p.Log.LogEndOffset), timeout, cts.Token).AsTask();
        }

        try
        {
            await Task.WhenAny(waits);
        }
        finally
        {
            await cts.CancelAsync();
            foreach (var wait in waits)
            {
                _ = wait.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private static ResponseBuffer BuildFetchResponse(RequestContext ctx, List<FetchPartition> partitions, int maxBytes, out long recordBytes)
    {
        var version = ctx.Version;
        var w = ctx.NewResponse(4096);
        w.WriteInt32(0);
        if (version >= 7)
        {
            w.WriteInt16(ErrorCode.None);
            w.WriteInt32(0);
        }

        var topicCountAt = w.ReserveInt32();
        var topicCount = 0;
        long budget = maxBytes;
        recordBytes = 0;
        foreach (var p in partitions)
        {
            if (p.FirstOfTopic)
            {
                topicCount++;
                w.WriteString(p.Topic);
                w.WriteInt32(p.TopicPartitionCount);
            }

            w.WriteInt32(p.Index);
            var log = p.Log;
            if (log is null || log.IsClosed)
            {
                WriteFetchPartitionHeader(w, version, p.Denied ? ErrorCode.TopicAuthorizationFailed : ErrorCode.UnknownTopicOrPartition, -1, -1);
                w.WriteInt32(0);
                continue;
            }

            var errorAt = w.Length;
            WriteFetchPartitionHeader(w, version, ErrorCode.None, 0, 0);
            var recordsAt = w.ReserveInt32();
            var written = 0;
            var error = ErrorCode.None;
            if (p.Offset < log.LogStartOffset || p.Offset > log.LogEndOffset)
            {
                error = ErrorCode.OffsetOutOfRange;
            }
            else if (p.Offset < log.LogEndOffset && (budget > 0 || recordBytes == 0))
            {
                var limit = (int)Math.Max(1, Math.Min(p.MaxBytes, budget));
                try
                {
                    written = log.Read(p.Offset, limit, w);
                }
                catch (OffsetOutOfRangeException)
                {
                    error = ErrorCode.OffsetOutOfRange;
                }
                catch (ObjectDisposedException)
                {
                    // Deleted (its topic) between the check above and the read.
                    error = ErrorCode.UnknownTopicOrPartition;
                }
            }

            w.PatchInt32(recordsAt, written);
            budget -= written;
            recordBytes += written;

            // The high watermark is read after the records, so it is never below what was returned.
            var end = w.Length;
            w.Truncate(errorAt);
            if (error == ErrorCode.UnknownTopicOrPartition)
            {
                WriteFetchPartitionHeader(w, version, error, -1, -1);
                w.WriteInt32(0);
                continue;
            }

            WriteFetchPartitionHeader(w, version, error, log.LogEndOffset, log.LogStartOffset);
            w.Truncate(end);
        }

        w.PatchInt32(topicCountAt, topicCount);
        return w;
    }

    /// <summary>error, high_watermark, last_stable_offset, log_start_offset (v5+), aborted_transactions (empty), preferred_read_replica (v11).</summary>
    private static void WriteFetchPartitionHeader(ResponseBuffer w, short version, ErrorCode error, long highWatermark, long logStart)
    {
        w.WriteInt16(error);
        w.WriteInt64(highWatermark);
        w.WriteInt64(highWatermark);
        if (version >= 5)
        {
            w.WriteInt64(logStart);
        }

        w.WriteInt32(0);
        if (version >= 11)
        {
            w.WriteInt32(-1);
        }
    }

    private List<FetchPartition> ParseFetch(RequestContext ctx, out int maxWaitMs, out int minBytes, out int maxBytes)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        reader.ReadInt32();
        maxWaitMs = reader.ReadInt32();
        minBytes = reader.ReadInt32();
        maxBytes = reader.ReadInt32();
        reader.ReadInt8();
        if (version >= 7)
        {
            reader.ReadInt32();
            reader.ReadInt32();
        }

        var partitionSize = 4 + 8 + 4 + (version >= 9 ? 4 : 0) + (version >= 5 ? 8 : 0);
        var topicCount = reader.ReadArrayCount(2 + 4);
        var list = new List<FetchPartition>();
        for (var t = 0; t < topicCount; t++)
        {
            var name = reader.ReadString();
            TopicLog? topic = null;
            var denied = !Authorize(ctx, AclResourceType.Topic, name, AclOperation.Read);
            if (!denied)
            {
                _log.TryGetTopic(name, out topic);
            }

            var partitionCount = reader.ReadArrayCount(partitionSize);
            for (var i = 0; i < partitionCount; i++)
            {
                var index = reader.ReadInt32();
                if (version >= 9)
                {
                    reader.ReadInt32();
                }

                var offset = reader.ReadInt64();
                if (version >= 5)
                {
                    reader.ReadInt64();
                }

                var max = reader.ReadInt32();
                var log = topic is not null && index >= 0 && index < topic.Partitions.Count ? topic.Partitions[index] : null;
                list.Add(new FetchPartition(name, i == 0, partitionCount, index, offset, max, log, denied));
            }
        }

        if (version >= 7)
        {
            var forgotten = reader.ReadArrayCount(2 + 4);
            for (var t = 0; t < forgotten; t++)
            {
                reader.ReadString();
                var n = reader.ReadArrayCount(4);
                for (var i = 0; i < n; i++)
                {
                    reader.ReadInt32();
                }
            }
        }

        if (version >= 11)
        {
            reader.ReadString();
        }

        EndOfBody(ref reader, ctx);
        return list;
    }
}
