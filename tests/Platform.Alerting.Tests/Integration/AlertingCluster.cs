using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Alerting.Service;
using Platform.Broker;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;
using Platform.TestKit;

namespace Platform.Alerting.Tests.Integration;

/// <summary>A real broker in-process on 127.0.0.1:0, a producer of agent batches, and alerting instances started
/// and stopped at will (each a WebApplication with the REST API on 127.0.0.1:0).</summary>
internal sealed class AlertingCluster : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private readonly TempDirectory _directory = new("alerting-it");
    private readonly List<AlertingInstance> _instances = [];
    private IProducer<string, byte[]> _producer = null!;

    public BrokerServer Broker { get; private set; } = null!;

    public string Bootstrap => Broker.BootstrapServers;

    public static ILoggerFactory Logging() =>
        Environment.GetEnvironmentVariable("ALERTING_TEST_LOG") is { Length: > 0 } level
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(Enum.Parse<LogLevel>(level, ignoreCase: true)))
            : NullLoggerFactory.Instance;

    public static async Task<AlertingCluster> StartAsync(int partitions = 2)
    {
        var cluster = new AlertingCluster();
        cluster.Broker = await BrokerServer.StartAsync(new BrokerOptions
        {
            Listen = "127.0.0.1:0",
            DataDirectory = Path.Combine(cluster._directory.Path, "broker"),
            DefaultPartitions = partitions,
            GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(200),
            FlushMode = Platform.Broker.Storage.FlushMode.GroupCommit,
        }, Logging());
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap, BrokerAddressFamily = BrokerAddressFamily.V4 }).Build())
        {
            await admin.CreateTopicsAsync(
            [
                new TopicSpecification { Name = Topics.Metrics, NumPartitions = partitions, ReplicationFactor = 1 },
                new TopicSpecification { Name = Topics.Logs, NumPartitions = partitions, ReplicationFactor = 1 },
            ]);
        }

        cluster._producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.Bootstrap,
            BrokerAddressFamily = BrokerAddressFamily.V4,
            Acks = Acks.All,
            LingerMs = 0,
        }).Build();
        return cluster;
    }

    /// <summary>Starts an instance; its state directory is named after <paramref name="name"/> (the same name again is
    /// the same instance restarted). With <paramref name="usersFile"/>, security is on against that users file.</summary>
    public async Task<AlertingInstance> StartAlertingAsync(string name, Action<AlertingOptions>? configure = null, string? usersFile = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("ALERTING_TEST_LOG") is { Length: > 0 } level)
        {
            builder.Logging.AddProvider(new FileLoggerProvider("/tmp/alerting-test-" + name + ".log")).SetMinimumLevel(Enum.Parse<LogLevel>(level, ignoreCase: true));
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPlatformAlerting(o =>
        {
            o.Bootstrap = Bootstrap;
            o.StateDirectory = Path.Combine(_directory.Path, name);
            o.InstanceId = name + "-" + Guid.NewGuid().ToString("N")[..4];
            o.SeedDefaultRules = false;
            o.RetryDelay = TimeSpan.FromMilliseconds(100);
            configure?.Invoke(o);
        });
        if (usersFile is not null)
        {
            Platform.Alerting.Security.PlatformSecurityServiceCollectionExtensions.AddPlatformSecurity(builder.Services, usersFile);
        }

        var app = builder.Build();
        app.MapAlertingApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var instance = new AlertingInstance(app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) });
        _instances.Add(instance);
        await Poll.UntilAsync(() => instance.Runtime.Ready.IsCompleted, Deadline, $"{name} ready");
        await instance.Runtime.Ready;
        return instance;
    }

    /// <summary>Produces one agent batch for a host, timestamped now (or at <paramref name="at"/>).</summary>
    public async Task SendAsync(string host, string metric, double value, DateTimeOffset? at = null, params (string Name, string Value)[] labels)
    {
        var time = (at ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        var batch = new MetricBatch { SchemaVersion = Topics.SchemaVersion, HostId = host, TimestampUnixMs = time, AgentRunId = "test" };
        var sample = new Sample { Name = metric, Value = value, Unit = "1", TimestampUnixMs = time };
        foreach (var (n, v) in labels)
        {
            sample.Labels.Add(new Label { Name = n, Value = v });
        }

        batch.Samples.Add(sample);
        await _producer.ProduceAsync(Topics.Metrics, new Message<string, byte[]>
        {
            Key = host,
            Value = batch.ToByteArray(),
            Timestamp = new Timestamp(time, TimestampType.CreateTime),
            Headers = new Headers { { Topics.ContentTypeHeader, System.Text.Encoding.UTF8.GetBytes(Topics.ProtobufContentType) } },
        });
    }

    /// <summary>Produces one agent log batch for a host with the given lines, timestamped now (or at <paramref name="at"/>).</summary>
    public async Task SendLogAsync(string host, DateTimeOffset? at = null, params string[] lines)
    {
        var time = (at ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        var batch = new LogBatch { HostId = host, TimestampUnixMs = time };
        foreach (var line in lines)
        {
            batch.Records.Add(new LogRecord { Message = line, Source = "/var/log/app.log", TimestampUnixMs = time });
        }

        await _producer.ProduceAsync(Topics.Logs, new Message<string, byte[]>
        {
            Key = host,
            Value = batch.ToByteArray(),
            Timestamp = new Timestamp(time, TimestampType.CreateTime),
            Headers = new Headers { { Topics.ContentTypeHeader, System.Text.Encoding.UTF8.GetBytes(Topics.ProtobufContentType) } },
        });
    }

    /// <summary>Produces an encoded record as it is (a batch the agent sends again is the same bytes).</summary>
    public Task ProduceAsync(string topic, string key, byte[] value) =>
        _producer.ProduceAsync(topic, new Message<string, byte[]>
        {
            Key = key,
            Value = value,
            Headers = new Headers { { Topics.ContentTypeHeader, System.Text.Encoding.UTF8.GetBytes(Topics.ProtobufContentType) } },
        });

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        _producer?.Dispose();
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }

        _directory.Dispose();
    }
}

internal sealed class AlertingInstance(WebApplication app, HttpClient http) : IAsyncDisposable
{
    private bool _stopped;

    public HttpClient Http { get; } = http;

    public AlertingRuntime Runtime => app.Services.GetRequiredService<AlertingRuntime>();

    public AlertingService Service => app.Services.GetRequiredService<AlertingService>();

    public IServiceProvider Services => app.Services;

    public Task WaitAssignedAsync(int minPartitions = 1) =>
        Poll.UntilAsync(() => Service.Assignment.Count(p => p.Topic == Topics.Metrics) >= minPartitions, AlertingCluster.Deadline, "partitions assigned");

    public async Task PutChannelAsync(NotificationChannel channel)
    {
        using var content = new ByteArrayContent(AlertCodec.Encode(channel));
        content.Headers.ContentType = new("application/json");
        using var response = await Http.PutAsync($"/api/channels/{channel.Id}", content);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    public async Task PutRuleAsync(AlertRule rule)
    {
        using var content = new ByteArrayContent(AlertCodec.Encode(rule));
        content.Headers.ContentType = new("application/json");
        using var response = await Http.PutAsync($"/api/rules/{rule.Id}", content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonNode> GetJsonAsync(string path) => (await Http.GetFromJsonAsync<JsonNode>(path))!;

    /// <summary>Stops the instance as a deployment would (the consumer leaves the group).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
        Http.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

internal sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly Lock _lock = new();

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            File.AppendAllText(path, line + "\n");
        }
    }

    private sealed class FileLogger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
