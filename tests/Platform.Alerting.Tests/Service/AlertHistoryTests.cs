using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Alerting.Service;
using Platform.Alerting.Tests.Integration;
using Platform.Broker;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.Alerting.Tests.Service;

/// <summary>The history read over the real broker when a range holds more records than one query may scan.</summary>
public sealed class AlertHistoryTests
{
    [Fact]
    public async Task Read_ScansTheNewestRecordsOfTheRange_WhenItHoldsMoreThanTheBudget()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDirectory("alert-history");
        await using var broker = await BrokerServer.StartAsync(new BrokerOptions
        {
            Listen = "127.0.0.1:0",
            DataDirectory = data.Path,
        }, AlertingCluster.Logging(), ct);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers, BrokerAddressFamily = BrokerAddressFamily.V4 }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = Topics.Alerts, NumPartitions = 1, ReplicationFactor = 1 }]);
        }

        // 30 transitions a minute apart, each produced with its own time as the broker timestamp.
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, BrokerAddressFamily = BrokerAddressFamily.V4, Acks = Acks.All }).Build())
        {
            for (var i = 0; i < 30; i++)
            {
                var at = start.AddMinutes(i);
                var record = new AlertTransition { Fingerprint = $"fp-{i}", RuleId = "cpu", RuleName = "Cpu", State = AlertState.Firing, At = at };
                await producer.ProduceAsync(Topics.Alerts, new Message<string, byte[]> { Key = record.Fingerprint, Value = AlertCodec.Encode(record), Timestamp = new Timestamp(at.UtcDateTime) }, ct);
            }
        }

        var options = new AlertingOptions { Bootstrap = broker.BootstrapServers };
        var timeout = TimeSpan.FromSeconds(20);

        // From the start on, with a budget of 10: the newest 5 are the last 5 written, not the 6th to 10th.
        var since = AlertHistory.Read(options, new AlertHistoryQuery { From = start.AddMinutes(-1), Limit = 5 }, timeout, ct, maxScan: 10);
        Assert.Equal(["fp-29", "fp-28", "fp-27", "fp-26", "fp-25"], since.Select(r => r.Fingerprint));

        // A range ending at minute 19: the newest 5 up to it, though 10 later records exceed the budget.
        var until = AlertHistory.Read(options, new AlertHistoryQuery { From = start.AddMinutes(-1), To = start.AddMinutes(19), Limit = 5 }, timeout, ct, maxScan: 10);
        Assert.Equal(["fp-19", "fp-18", "fp-17", "fp-16", "fp-15"], until.Select(r => r.Fingerprint));

        // Within the budget, the whole range is read.
        var all = AlertHistory.Read(options, new AlertHistoryQuery { From = start.AddMinutes(-1), Limit = 100 }, timeout, ct);
        Assert.Equal(30, all.Count);
    }
}
