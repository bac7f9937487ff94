using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Alerting;
using Platform.Alerting.Service;
using Platform.Broker;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.V1;

namespace Platform.Bench.Alerting;

/// <summary>The platform end to end: broker in-process, alerting in-process, samples produced with Confluent.Kafka,
/// notifications received by a local webhook.</summary>
internal sealed class PipelineWorkload : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bench-alerting-" + Guid.NewGuid().ToString("N")[..8]);
    private BrokerServer _broker = null!;
    private WebApplication _alerting = null!;
    private IProducer<string, byte[]> _producer = null!;

    public HttpSink Sink { get; private set; } = null!;

    public AlertingRuntime Runtime => _alerting.Services.GetRequiredService<AlertingRuntime>();

    public static async Task<PipelineWorkload> StartAsync(HttpSink sink)
    {
        var w = new PipelineWorkload { Sink = sink };
        w._broker = await BrokerServer.StartAsync(new BrokerOptions
        {
            Listen = "127.0.0.1:0",
            DataDirectory = Path.Combine(w._directory, "broker"),
            DefaultPartitions = 4,
            GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(100),
            FlushMode = Platform.Broker.Storage.FlushMode.GroupCommit,
        }, NullLoggerFactory.Instance);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = w._broker.BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync(
            [
                new TopicSpecification { Name = Topics.Metrics, NumPartitions = 4, ReplicationFactor = 1 },
                new TopicSpecification { Name = Topics.Logs, NumPartitions = 4, ReplicationFactor = 1 },
            ]);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPlatformAlerting(o =>
        {
            o.Bootstrap = w._broker.BootstrapServers;
            o.StateDirectory = Path.Combine(w._directory, "alerting");
            o.SeedDefaultRules = false;
            o.InstanceId = "bench";
        });
        w._alerting = builder.Build();
        await w._alerting.StartAsync();
        var runtime = w._alerting.Services.GetRequiredService<AlertingRuntime>();
        await runtime.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        await runtime.PutChannelAsync(new NotificationChannel
        {
            Id = "sink",
            Name = "sink",
            Type = ChannelType.Webhook,
            Url = new Uri(sink.BaseUri, "platform"),
            IsDefault = true,
        }, CancellationToken.None);
        foreach (var (id, metric) in new[] { ("probe", "bench.probe"), ("switch", "bench.switch") })
        {
            await runtime.PutRuleAsync(new AlertRule
            {
                Id = id,
                Name = id,
                Kind = RuleKind.Metric,
                Metric = new MetricCondition { Name = metric, Comparison = Comparison.GreaterThan, Threshold = 0 },
                GroupBy = ["host"],
                RepeatIntervalSeconds = 0,
            }, CancellationToken.None);
        }

        var service = w._alerting.Services.GetRequiredService<AlertingService>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (service.Assignment.Count(p => p.Topic == Topics.Metrics) < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        w._producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = w._broker.BootstrapServers,
            Acks = Acks.All,
            LingerMs = 1,
        }).Build();
        return w;
    }

    public void Send(MetricBatch batch) =>
        _producer.Produce(Topics.Metrics, new Message<string, byte[]>
        {
            Key = batch.HostId,
            Value = batch.ToByteArray(),
            Timestamp = new Timestamp(batch.TimestampUnixMs, TimestampType.CreateTime),
        });

    public static MetricBatch One(string host, string metric, double value, long timeMs)
    {
        var batch = new MetricBatch { SchemaVersion = 1, HostId = host, TimestampUnixMs = timeMs };
        batch.Samples.Add(new Sample { Name = metric, Value = value, Unit = "1" });
        return batch;
    }

    public async ValueTask DisposeAsync()
    {
        _producer?.Flush(TimeSpan.FromSeconds(5));
        _producer?.Dispose();
        if (_alerting is not null)
        {
            await _alerting.StopAsync();
            await _alerting.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
