using Confluent.Kafka;
using Platform.Broker;
using Platform.Telemetry;
using Platform.Telemetry.V1;

namespace Platform.Agents.Tests.Integration;

/// <summary>The broker the integration tests publish to, and a consumer that reads back what the agents published.</summary>
internal static class TelemetryReadBack
{
    public static BrokerOptions BrokerAt(string listen, string data) => new()
    {
        Listen = listen,
        DataDirectory = data,
        AutoCreateTopics = true,
        DefaultPartitions = 3,
    };

    /// <summary>
    /// Reads <c>metrics</c> and <c>logs</c> from the beginning in a fresh group, decoding every record and handing it to
    /// <paramref name="onMetrics"/> or <paramref name="onLogs"/> with its record, until <paramref name="done"/> holds or
    /// <paramref name="timeout"/> passes.
    /// </summary>
    public static void ReadUntil(
        string bootstrap,
        TimeSpan timeout,
        Func<bool> done,
        Action<Message<byte[], byte[]>, MetricBatch> onMetrics,
        Action<Message<byte[], byte[]>, LogBatch> onLogs)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "agent-it-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe([Topics.Metrics, Topics.Logs]);
        var deadline = DateTime.UtcNow + timeout;
        while (!done() && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(1));
            if (result?.Message is null)
            {
                continue;
            }

            if (result.Topic == Topics.Metrics)
            {
                onMetrics(result.Message, TelemetryCodec.DecodeMetricBatch(result.Message.Value));
            }
            else
            {
                onLogs(result.Message, TelemetryCodec.DecodeLogBatch(result.Message.Value));
            }
        }
    }
}
