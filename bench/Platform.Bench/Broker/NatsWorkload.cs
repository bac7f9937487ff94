using System.Buffers.Binary;
using System.Diagnostics;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Platform.Bench.Broker;

/// <summary>
/// The same work on NATS JetStream: a file-storage stream, publishes with a window of in-flight acks (each record's
/// ack latency measured), then a pull consumer (no acks, like a Kafka consumer) reading everything back, each record's
/// index read in place (<see cref="RecordIndex"/>) as on the Kafka side.
/// </summary>
internal static class NatsWorkload
{
    public static async Task<Result> RunAsync(string url, string stream, int records, int size, int window, int consumers, CancellationToken ct)
    {
        await using var client = new NatsClient(url);
        var js = client.CreateJetStreamContext();
        await js.CreateStreamAsync(new StreamConfig(stream, [stream + ".>"]) { Storage = StreamConfigStorage.File }, ct);
        var subject = stream + ".data";

        var sent = new long[records];
        var latency = new long[records];
        var inflight = new Queue<(int Index, Task<PubAckResponse> Ack)>(window);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < records; i++)
        {
            var value = new byte[size];
            BinaryPrimitives.WriteInt32LittleEndian(value, i);
            if (inflight.Count == window)
            {
                await CompleteAsync(inflight.Dequeue(), sent, latency);
            }

            sent[i] = Stopwatch.GetTimestamp();
            inflight.Enqueue((i, js.PublishAsync(subject, value, cancellationToken: ct).AsTask()));
        }

        while (inflight.Count > 0)
        {
            await CompleteAsync(inflight.Dequeue(), sent, latency);
        }

        clock.Stop();
        var produceRate = records / clock.Elapsed.TotalSeconds;
        var (p50, p99) = Result.Percentiles(latency, records);

        await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("reader") { AckPolicy = ConsumerConfigAckPolicy.None, DeliverPolicy = ConsumerConfigDeliverPolicy.All }, ct);
        var tally = new RecordTally(records);
        using var complete = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var readers = Enumerable.Range(0, Math.Max(1, consumers)).Select(_ => Task.Run(() => ReadAsync(url, stream, size, tally, complete), ct)).ToList();
        await Task.WhenAll(readers);
        ct.ThrowIfCancellationRequested();
        return new Result(produceRate, p50, p99, (records - 1) / tally.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// One reader of the durable pull consumer on its own connection (several readers share its records, as Kafka
    /// consumers share partitions); the first to see the last missing record stops the others.
    /// </summary>
    private static async Task ReadAsync(string url, string stream, int size, RecordTally tally, CancellationTokenSource complete)
    {
        await using var client = new NatsClient(url);
        var consumer = await client.CreateJetStreamContext().GetConsumerAsync(stream, "reader", complete.Token);
        try
        {
            await foreach (var msg in consumer.ConsumeAsync(new RecordIndex(size), new NatsJSConsumeOpts { MaxMsgs = 10_000 }, complete.Token))
            {
                tally.Mark(msg.Data);
                if (tally.IsComplete)
                {
                    await complete.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (tally.IsComplete)
        {
        }
    }

    private static async Task CompleteAsync((int Index, Task<PubAckResponse> Ack) pending, long[] sent, long[] latency)
    {
        var ack = await pending.Ack;
        latency[pending.Index] = Stopwatch.GetTimestamp() - sent[pending.Index];
        ack.EnsureSuccess();
    }
}
