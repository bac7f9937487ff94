using System.Diagnostics;
using System.Net.Sockets;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
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
    /// Starts the broker again on the address it had (the agents know no other). While it was down the port was free
    /// for anybody: another process's connection may hold it as its local port for a while, so a busy port is tried
    /// again until <paramref name="timeout"/> passes.
    /// </summary>
    public static async Task<BrokerServer> RestartAsync(string listen, string data, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await BrokerServer.StartAsync(BrokerAt(listen, data), NullLoggerFactory.Instance, cancellationToken);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && clock.Elapsed < timeout)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

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
