using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;

namespace Platform.Bench.Broker;

/// <summary>
/// The Confluent.Kafka side: an acks=all producer whose queue holds at most <c>window</c> unacknowledged records (the
/// same bound as the peer's in-flight publishes, so ack latencies compare), measuring each record's ack latency; then a
/// consumer reading everything back.
/// </summary>
internal static class KafkaWorkload
{
    /// <summary>librdkafka settings added to every client (the security harness sets SASL_SSL here); null = none.</summary>
    public static IReadOnlyDictionary<string, string>? ExtraSettings { get; set; }

    /// <summary>The producer's linger.ms (how long it waits to fill a batch).</summary>
    public static double LingerMs { get; set; } = 1;

    private static T With<T>(T config)
        where T : ClientConfig
    {
        foreach (var (key, value) in ExtraSettings ?? new Dictionary<string, string>())
        {
            config.Set(key, value);
        }

        return config;
    }

    public static Result Run(string bootstrap, string topic, int records, int size, int window, int consumers, CancellationToken ct)
    {
        var (rate, p50, p99) = Produce(bootstrap, topic, records, size, window, ct);
        var consumeRate = Consume(bootstrap, topic, records, size, consumers, ct);
        return new Result(rate, p50, p99, consumeRate);
    }

    public static (double Rate, double P50, double P99) Produce(string bootstrap, string topic, int records, int size, int window, CancellationToken ct)
    {
        var config = With(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            BrokerAddressFamily = BrokerAddressFamily.V4,
            Acks = Acks.All,
            LingerMs = LingerMs,
            BatchSize = 1_000_000,
            // The window is counted by a semaphore released in the delivery report, exactly as the peer's queue of
            // pending acks; librdkafka's own bound (records not yet freed after their report) is only a backstop.
            QueueBufferingMaxMessages = window * 2,
            CompressionType = CompressionType.None,
            EnableIdempotence = false,
            SocketNagleDisable = true,
            DeliveryReportFields = "value",
        });
        var sent = new long[records];
        var latency = new long[records];
        var acked = 0;
        var errors = 0;
        using var done = new ManualResetEventSlim();
        using var unacknowledged = new SemaphoreSlim(window, window);
        void OnDelivery(DeliveryReport<Null, byte[]> report)
        {
            var index = BinaryPrimitives.ReadInt32LittleEndian(report.Message.Value);
            latency[index] = Stopwatch.GetTimestamp() - sent[index];
            unacknowledged.Release();
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref errors);
            }

            if (Interlocked.Increment(ref acked) == records)
            {
                done.Set();
            }
        }

        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < records; i++)
        {
            unacknowledged.Wait(ct);
            var value = new byte[size];
            BinaryPrimitives.WriteInt32LittleEndian(value, i);
            sent[i] = Stopwatch.GetTimestamp();
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<Null, byte[]> { Value = value }, OnDelivery);
                    break;
                }
                catch (ProduceException<Null, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(5));
                }
            }
        }

        producer.Flush(ct);
        done.Wait(ct);
        clock.Stop();
        if (errors > 0)
        {
            throw new InvalidOperationException($"{errors} records failed to be delivered");
        }

        var (p50, p99) = Result.Percentiles(latency, records);
        return (records / clock.Elapsed.TotalSeconds, p50, p99);
    }

    /// <summary>
    /// Reads the whole topic back with <paramref name="consumers"/> consumers, each assigned its share of the partitions
    /// (Kafka's unit of parallel consumption) on its own thread; the rate is timed from the first record to the last
    /// (client start-up and connection excluded, as for the peer, whose connection already exists).
    /// </summary>
    private static double Consume(string bootstrap, string topic, int records, int size, int consumers, CancellationToken ct)
    {
        int[] partitions;
        using (var admin = new AdminClientBuilder(With(new AdminClientConfig { BootstrapServers = bootstrap, BrokerAddressFamily = BrokerAddressFamily.V4 })).Build())
        {
            partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics[0].Partitions.Select(p => p.PartitionId).ToArray();
        }

        consumers = Math.Clamp(consumers, 1, partitions.Length);
        var tally = new RecordTally(records);
        var threads = Enumerable.Range(0, consumers).Select(c =>
        {
            var mine = partitions.Where((_, i) => i % consumers == c).ToArray();
            var thread = new Thread(() => ConsumePartitions(bootstrap, topic, mine, size, tally, ct)) { IsBackground = true, Name = "bench-consume" };
            thread.Start();
            return thread;
        }).ToList();
        foreach (var thread in threads)
        {
            thread.Join();
        }

        if (!tally.IsComplete)
        {
            throw new InvalidOperationException($"consumed only {tally.Distinct} of {records}");
        }

        return (records - 1) / tally.Elapsed.TotalSeconds;
    }

    private static void ConsumePartitions(string bootstrap, string topic, int[] partitions, int size, RecordTally tally, CancellationToken ct)
    {
        var config = With(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            BrokerAddressFamily = BrokerAddressFamily.V4,
            GroupId = "bench-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            FetchMaxBytes = 50 * 1024 * 1024,
            MaxPartitionFetchBytes = 4 * 1024 * 1024,
            QueuedMaxMessagesKbytes = 256 * 1024,

            // librdkafka stops fetching for fetch.queue.backoff.ms (default 1 s) whenever its local queue holds more than
            // queued.min.messages (100,000): a consumer thread slowed by a busy machine then idles a second per 100,000
            // records (about 200,000/s) while the broker waits. A short backoff keeps fetching as the queue drains,
            // as the peer's pull consumer does.
            FetchQueueBackoffMs = 10,
            ConsumeResultFields = "none",
        });
        using var consumer = new ConsumerBuilder<Ignore, int>(config).SetValueDeserializer(new RecordIndex(size)).Build();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var atEnd = 0;
        while (atEnd < partitions.Length && !tally.IsComplete)
        {
            ct.ThrowIfCancellationRequested();
            var r = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"consumed only {tally.Distinct} records");
            if (r.IsPartitionEOF)
            {
                atEnd++;
                continue;
            }

            tally.Mark(r.Message.Value);
        }

        consumer.Close();
    }
}
