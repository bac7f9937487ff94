using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Telemetry;
using Platform.TestKit;

namespace Platform.Agents.Tests.Integration;

/// <summary>
/// <c>platform-agent run</c> as its own process against the real broker: the process hands back its start-up
/// pages (binary, assemblies, librdkafka) at every start-up step, and must keep publishing every batch in order
/// through and past those steps.
/// </summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("agent-run");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Run_WithStartupPagesHandedBack_PublishesEveryBatchOnceInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await BrokerServer.StartAsync(new BrokerOptions
        {
            Listen = "127.0.0.1:0",
            DataDirectory = Path.Join(_dir.Path, "broker"),
            AutoCreateTopics = true,
            DefaultPartitions = 1,
        }, NullLoggerFactory.Instance, ct);

        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            Path.Join(AppContext.BaseDirectory, "platform-agent.dll"), "run", "--bootstrap", broker.BootstrapServers,
            "--interval", "250ms", "--host-id", "run-host", "--state-dir", Path.Join(_dir.Path, "state"),
            "--collect-containers", "false",
        })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("PLATFORM_AGENT_STARTUP_PAGEOUT");
        using var agent = Process.Start(info) ?? throw new InvalidOperationException("could not start platform-agent");
        var stderr = agent.StandardError.ReadToEndAsync(ct);
        _ = agent.StandardOutput.ReadToEndAsync(ct);
        var sequences = new List<ulong>();
        try
        {
            using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            {
                BootstrapServers = broker.BootstrapServers,
                GroupId = "run-it-" + Guid.NewGuid().ToString("N"),
                EnableAutoCommit = false,
                AutoOffsetReset = AutoOffsetReset.Earliest,
            }).Build();
            consumer.Subscribe(Topics.Metrics);

            // 250 ms ticks: batch 30 is published well after the last start-up step (5 s in).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (sequences.Count < 30 && DateTime.UtcNow < deadline && !agent.HasExited)
            {
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromSeconds(1));
                }
                catch (ConsumeException e) when (e.Error.Code == Confluent.Kafka.ErrorCode.UnknownTopicOrPart)
                {
                    continue; // the agent's first batch creates the topic
                }

                if (result?.Message is not null)
                {
                    sequences.Add(TelemetryCodec.DecodeMetricBatch(result.Message.Value).Sequence);
                }
            }
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
            }

            await agent.WaitForExitAsync(ct);
        }

        Assert.True(sequences.Count >= 30, $"{sequences.Count} batches arrived; agent stderr: {await stderr}");
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (ulong)i), sequences);
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : File.Exists("/usr/share/dotnet/dotnet") ? "/usr/share/dotnet/dotnet" : "dotnet";
}
