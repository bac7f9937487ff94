using System.Diagnostics;
using Confluent.Kafka;

namespace Platform.Broker.Tests.Integration;

[Collection(BrokerCollectionDefinition.Name)]
public class MetricsTests(BrokerFixture fixture)
{
    [Fact]
    public async Task Metrics_ExposesRequestsBytesPartitionsAndLag_InValidExpositionFormat()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("metrics");
        using (var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build())
        {
            await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, string> { Value = "m" }, ct);
        }

        using (var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig("lag-group")).Build())
        {
            consumer.Commit([new TopicPartitionOffset(topic, 0, 0)]);
        }

        using var http = new HttpClient { BaseAddress = new Uri(fixture.Broker.MetricsUrl!) };
        var text = await http.GetStringAsync("/metrics", ct);

        Assert.Contains("broker_requests_total{api=\"Produce\"}", text, StringComparison.Ordinal);
        Assert.Contains("broker_request_duration_seconds_bucket{api=\"Metadata\"", text, StringComparison.Ordinal);
        Assert.Contains("broker_network_received_bytes_total", text, StringComparison.Ordinal);
        Assert.Contains($"broker_partition_log_end_offset{{topic=\"{topic}\",partition=\"0\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"broker_partition_size_bytes{{topic=\"{topic}\"", text, StringComparison.Ordinal);

        Assert.Contains($"broker_consumer_group_lag{{group=\"lag-group\",topic=\"{topic}\",partition=\"0\"}} 1", text, StringComparison.Ordinal);

        var health = await http.GetAsync("/health", ct);
        Assert.True(health.IsSuccessStatusCode);

        if (File.Exists("/usr/bin/promtool"))
        {
            var info = new ProcessStartInfo("/usr/bin/promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            using var promtool = Process.Start(info)!;
            await promtool.StandardInput.WriteAsync(text.AsMemory(), ct);
            promtool.StandardInput.Close();
            var errors = await promtool.StandardError.ReadToEndAsync(ct) + await promtool.StandardOutput.ReadToEndAsync(ct);
            await promtool.WaitForExitAsync(ct);
            Assert.True(promtool.ExitCode == 0, errors);
        }
    }
}
