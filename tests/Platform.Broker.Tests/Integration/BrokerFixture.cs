using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>A real broker in-process on 127.0.0.1:0 (with /metrics on another free port), shared by the integration tests.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("broker-test");

    public BrokerServer Broker { get; private set; } = null!;

    public string Bootstrap => Broker.BootstrapServers;

    public string DataDirectory => _directory.Path;

    /// <summary>Log to the console when BROKER_TEST_LOG is set (debugging a failing test).</summary>
    public static ILoggerFactory CreateLoggerFactory() =>
        Environment.GetEnvironmentVariable("BROKER_TEST_LOG") is { Length: > 0 } level
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(Enum.Parse<LogLevel>(level, ignoreCase: true)))
            : NullLoggerFactory.Instance;

    public static BrokerOptions Options(string dataDirectory) => new()
    {
        Listen = "127.0.0.1:0",
        MetricsListen = "127.0.0.1:0",
        DataDirectory = dataDirectory,
        DefaultPartitions = 3,
        GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(200),
    };

    public async ValueTask InitializeAsync() => Broker = await BrokerServer.StartAsync(Options(_directory.Path), CreateLoggerFactory());

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        _directory.Dispose();
    }

    public static string UniqueTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)];

    public ProducerConfig ProducerConfig() => ProducerConfigFor(Bootstrap);

    public static ProducerConfig ProducerConfigFor(string bootstrap) => new()
    {
        BootstrapServers = bootstrap,
        BrokerAddressFamily = BrokerAddressFamily.V4,
        Acks = Acks.All,
        LingerMs = 5,
        MessageTimeoutMs = 30000,
    };

    public ConsumerConfig ConsumerConfig(string groupId) => ConsumerConfigFor(Bootstrap, groupId);

    public static ConsumerConfig ConsumerConfigFor(string bootstrap, string groupId) => new()
    {
        BootstrapServers = bootstrap,
        BrokerAddressFamily = BrokerAddressFamily.V4,
        GroupId = groupId,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 500,
        MaxPollIntervalMs = 10000,
        CheckCrcs = true,
        TopicMetadataRefreshIntervalMs = 1000,
        FetchWaitMaxMs = 100,
    };

    public AdminClientConfig AdminConfig() => new() { BootstrapServers = Bootstrap, BrokerAddressFamily = BrokerAddressFamily.V4 };
}
