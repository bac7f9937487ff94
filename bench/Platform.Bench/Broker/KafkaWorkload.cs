using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace Platform.Bench.Broker;

/// <summary>The Confluent.Kafka side: acks=all producer measuring per-record ack latency, then a consumer reading it all back.</summary>
internal static class KafkaWorkload
{
    public static Result Run(string bootstrap, string topic, int records, int size, CancellationToken ct)
    {
        var (rate, p50, p99) = Produce(bootstrap, topic, records, size, ct);
        var consumeRate = Consume(bootstrap, topic, records, ct);
        return new Result(rate, p50, p99, consumeRate);
    }

    public static List<double> Backlog(string bootstrap, string topic, int rounds, int roundSize, int size, CancellationToken ct)
    {
        var rates = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var (rate, _, _) = Produce(bootstrap, topic, roundSize, size, ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"backlog round {i + 1}: {rate:N0} records/s"));
            rates.Add(rate);
        }

        return rates;
    }

    private static (double Rate, double P50, double P99) Produce(string bootstrap, string topic, int records, int size, CancellationToken ct)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            BrokerAddressFamily = BrokerAddressFamily.V4,
            Acks = Acks.All,
            LingerMs = 5,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 500_000,
            CompressionType = CompressionType.None,
            EnableIdempotence = false,
        };
        var sent = new long[records];
        var latency = new long[records];
        var acked = 0;
        var errors = 0;
        using var done = new ManualResetEventSlim();
        void OnDelivery(DeliveryReport<Null, byte[]> report)
        {
            var index = BinaryPrimitives.ReadInt32LittleEndian(report.Message.Value);
            latency[index] = Stopwatch.GetTimestamp() - sent[index];
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
            ct.ThrowIfCancellationRequested();
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

    private static double Consume(string bootstrap, string topic, int records, CancellationToken ct)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            BrokerAddressFamily = BrokerAddressFamily.V4,
            GroupId = "bench-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            FetchMaxBytes = 50 * 1024 * 1024,
            MaxPartitionFetchBytes = 4 * 1024 * 1024,
            QueuedMaxMessagesKbytes = 256 * 1024,
        };
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
            consumer.Assign(metadata.Topics[0].Partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)));
        }

        var clock = Stopwatch.StartNew();
        var count = 0;
        while (count < records)
        {
            ct.ThrowIfCancellationRequested();
            var r = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"consumed only {count} of {records}");
            if (!r.IsPartitionEOF)
            {
                count++;
            }
        }

        clock.Stop();
        consumer.Close();
        return records / clock.Elapsed.TotalSeconds;
    }
}
