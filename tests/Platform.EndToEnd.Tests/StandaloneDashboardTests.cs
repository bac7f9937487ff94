using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Platform.Alerting;
using Platform.Broker;
using Platform.Dashboard;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// Each part on its own, as on separate machines: the broker, alerting's REST API in its own web host, and the dashboard
/// started with <c>--bootstrap</c> and <c>--alerting-url</c> (embedding nothing), driven through the dashboard's API client
/// and in Chromium.
/// </summary>
public sealed class StandaloneDashboardTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("standalone-e2e");
    private readonly Browser _browser = new();
    private BrokerServer _broker = null!;
    private WebApplication _alerting = null!;
    private PlatformHost _dashboard = null!;
    private string _alertingUrl = null!;

    public async ValueTask InitializeAsync()
    {
        _broker = await BrokerServer.StartAsync(new BrokerOptions
        {
            Listen = "127.0.0.1:0",
            DataDirectory = Path.Combine(_data.Path, "broker"),
            DefaultPartitions = 1,
            AutoCreateTopics = true,
            GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(200),
        }, NullLoggerFactory.Instance);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPlatformAlerting(o =>
        {
            o.Bootstrap = _broker.BootstrapServers;
            o.StateDirectory = Path.Combine(_data.Path, "alerting");
            o.SeedDefaultRules = false;
        });
        _alerting = builder.Build();
        _alerting.MapAlertingApi();
        await _alerting.StartAsync();
        _alertingUrl = _alerting.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var options = PlatformHostOptions.Parse(["--bootstrap", _broker.BootstrapServers, "--alerting-url", _alertingUrl, "--urls", "http://127.0.0.1:0", "--data", Path.Combine(_data.Path, "dashboard")]);
        _dashboard = await PlatformHost.StartAsync(options);
        await _browser.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _dashboard.DisposeAsync();
        await _alerting.StopAsync();
        await _alerting.DisposeAsync();
        await _broker.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task DashboardAlone_OperatesThroughTheSeparateAlertingApi_AndShowsTheAlertSilenced()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.False(_dashboard.Embedded);
        var book = _dashboard.Services.GetRequiredService<AlertBook>();
        using var scope = _dashboard.Services.CreateScope();
        var api = scope.ServiceProvider.GetRequiredService<AlertingApi>();
        Assert.True(api.Configured);

        // A rule created through the dashboard's API client reaches alerting, and comes back to the dashboard on alert-rules.
        var rule = new AlertRule
        {
            Id = "standalone-cpu",
            Name = "StandaloneCpu",
            Kind = RuleKind.Metric,
            Severity = AlertSeverity.Critical,
            Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.5 },
            ForSeconds = 0,
        };
        var saved = await api.SaveRuleAsync(rule, create: true, ct);
        Assert.True(saved.Ok, saved.Summary);
        await Poll.UntilAsync(() => book.Rules.Any(r => r.Id == rule.Id), TimeSpan.FromSeconds(30), "the rule on the dashboard", ct);

        // A host over the threshold fires it; the dashboard reads the alert from the alerts topic.
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers, Acks = Acks.All, LingerMs = 5 }).Build();
        using var feeding = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var feed = Task.Run(async () =>
        {
            ulong sequence = 0;
            while (!feeding.IsCancellationRequested)
            {
                var batch = SimulatedFleet.Batch(3, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), sequence++, withInventory: sequence == 1);
                await producer.ProduceAsync("metrics", new Message<string, byte[]> { Key = batch.HostId, Value = batch.ToByteArray() }, CancellationToken.None);
                await Task.Delay(500, CancellationToken.None);
            }
        }, CancellationToken.None);
        try
        {
            var host = SimulatedFleet.HostId(3);
            await Poll.UntilAsync(() => book.Active(host).Any(a => a.RuleId == rule.Id && a.State == AlertState.Firing), TimeSpan.FromSeconds(60), "the alert firing on the dashboard", ct);
            var alert = book.Active(host).First(a => a.RuleId == rule.Id);

            // Acknowledged through the dashboard's client: alerting records it, and the dashboard shows who.
            var ack = await api.AcknowledgeAsync(alert.Fingerprint, "ann", "looking", ct);
            Assert.True(ack.Ok, ack.Summary);
            await Poll.UntilAsync(() => book.Find(alert.Fingerprint)?.AcknowledgedBy == "ann", TimeSpan.FromSeconds(30), "the acknowledgement on the dashboard", ct);

            // Silenced through the client: the alerts page says by whom and until when.
            var now = DateTimeOffset.UtcNow;
            var silence = new Silence
            {
                Id = "silence-standalone",
                Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Equal, Value = host }],
                StartsAt = now,
                EndsAt = now.AddHours(2),
                CreatedBy = "bob",
                CreatedAt = now,
                Comment = "disk swap",
            };
            var silenced = await api.SilenceAsync(silence, ct);
            Assert.True(silenced.Ok, silenced.Summary);

            var page = await _browser.OpenAsync($"{_dashboard.Url}/alerts");
            var row = page.Locator($"[data-testid=alert-row][data-fingerprint='{alert.Fingerprint}']");
            await Assertions.Expect(row.Locator("[data-testid=silenced]")).ToHaveAttributeAsync("data-silenced", "true", new() { Timeout = 30_000 });
            await Assertions.Expect(row.Locator("[data-testid=silenced]")).ToContainTextAsync("silenced by bob (disk swap) until");
            await Assertions.Expect(row.Locator("[data-testid=acknowledged]")).ToContainTextAsync("ann at");
            Assert.Equal(0, await page.Locator("[data-testid=alerting-readonly]").CountAsync());
            await Browser.ScreenshotAsync(page, "standalone-alerts-silenced");

            // The broker page's API answers without the broker embedded, retention from DescribeConfigs: alerting creates
            // `alerts` with retention.ms=-1, which the page shows as "forever".
            using var http = new HttpClient { BaseAddress = new Uri(_dashboard.Url) };
            var snapshot = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri("/api/broker", UriKind.Relative), ct))!;
            Assert.Null((string?)snapshot["error"]);
            Assert.Contains(snapshot["topics"]!.AsArray(), t => (string?)t!["name"] == "metrics");
            Assert.Equal(-1, (long?)snapshot["topics"]!.AsArray().Single(t => (string?)t!["name"] == "alerts")!["retentionMs"]);
            var brokerPage = await _browser.OpenAsync($"{_dashboard.Url}/broker");
            await Assertions.Expect(brokerPage.Locator("[data-testid=topic-row][data-topic=alerts] [data-testid=topic-retention]")).ToHaveTextAsync("forever", new() { Timeout = 30_000 });
            await brokerPage.CloseAsync();
            await page.CloseAsync();
        }
        finally
        {
            await feeding.CancelAsync();
            await feed;
        }
    }
}
