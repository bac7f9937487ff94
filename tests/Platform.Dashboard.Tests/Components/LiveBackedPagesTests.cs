using System.Net.Http.Json;
using Bunit;
using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Platform.Dashboard.Components.Pages.Broker;
using Platform.Dashboard.Components.Pages.Channels;
using Platform.Dashboard.Components.Pages.Hosts;
using Platform.Dashboard.Components.Pages.Rules;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

/// <summary>Pages over the real broker and alerting API (<see cref="LiveAlerting"/>): the broker table, the deliveries
/// table, deleting a rule after its confirmation, and a custom history range read back from the log.</summary>
public sealed class LiveBackedPagesTests : DashboardTestContext
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public LiveBackedPagesTests()
        : base(configure: s => s.AddSingleton(sp => new BrokerInspector(sp.GetRequiredService<DashboardOptions>()))) =>
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));

    [Fact]
    public async Task BrokerPage_ListsTopicsPartitionsAndAGroupsLag()
    {
        await using var live = await LiveAlerting.StartAsync();
        Model.Options.Bootstrap = live.Bootstrap;
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = live.Bootstrap }).Build())
        {
            for (var i = 0; i < 4; i++)
            {
                await producer.ProduceAsync(new TopicPartition("probe", 0), new Message<Null, string> { Value = "x" }, Xunit.TestContext.Current.CancellationToken);
            }
        }

        using (var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = live.Bootstrap, GroupId = "probe-readers" }).Build())
        {
            consumer.Commit([new TopicPartitionOffset("probe", 0, 1)]);
        }

        var page = Render<BrokerPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=partition-row][data-topic=probe][data-partition='0']"), Deadline);
        var row = page.Find("[data-testid=partition-row][data-topic=probe][data-partition='0']");
        Assert.Contains("4", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("4", page.Find("[data-testid=topic-row][data-topic=probe]").TextContent, StringComparison.Ordinal);
        page.WaitForAssertion(() => Assert.Equal("3", page.Find("[data-testid=group][data-group=probe-readers] [data-testid=lag-row][data-topic=probe]").GetAttribute("data-lag")), Deadline);
    }

    [Fact]
    public async Task AlertsPage_ShowsASilenceMadeElsewhere_WithoutReload()
    {
        await using var live = await LiveAlerting.StartAsync();
        Model.Options.AlertingUrl = live.Url;
        Model.Alerts.ApplyAlert(AlertsPagesTests.Alert("fp-web-1", AlertState.Firing, "web-1"));
        var page = Render<Platform.Dashboard.Components.Pages.Alerts.AlertsPage>();
        page.WaitForAssertion(() => Assert.Contains("alerting's history API", page.Find("[data-testid=history-source]").TextContent, StringComparison.Ordinal), Deadline);
        Assert.DoesNotContain("silenced by", page.Markup, StringComparison.Ordinal);

        // Another operator (or a script) silences the alert through the API while the page stays open.
        var now = DateTimeOffset.UtcNow;
        await live.PutSilenceAsync(new Silence
        {
            Id = "silence-elsewhere",
            Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Equal, Value = "web-1" }],
            StartsAt = now.AddMinutes(-1), EndsAt = now.AddHours(1), CreatedBy = "sam",
        });
        await Platform.TestKit.Poll.UntilAsync(() =>
        {
            Ticker.Raise();
            return page.Markup.Contains("silenced by sam", StringComparison.Ordinal);
        }, Deadline, "the silence shown on the open page", Xunit.TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ChannelsPage_SendTest_ListsTheFailedDeliveryInItsTable()
    {
        await using var live = await LiveAlerting.StartAsync();
        Model.Options.AlertingUrl = live.Url;
        await live.PutChannelAsync(new NotificationChannel { Id = "hook", Name = "Hook", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1:9/hook") });
        Render<MudSnackbarProvider>();
        var page = Render<ChannelsPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=channel-row] [data-testid=test-channel]"), Deadline);
        ClickOn(page, "[data-testid=test-channel]");
        page.WaitForAssertion(() => Assert.Equal("false", page.Find("[data-testid=deliveries] [data-testid=delivery-row]").GetAttribute("data-success")), Deadline);
        Assert.Contains("Deliveries to hook", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesPage_DeletesARule_OnlyAfterTheConfirmation()
    {
        await using var live = await LiveAlerting.StartAsync();
        Model.Options.AlertingUrl = live.Url;
        var rule = new AlertRule { Id = "to-delete", Name = "ToDelete", Kind = RuleKind.Metric, Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.9 } };
        using (var created = await live.Http.PostAsJsonAsync("api/rules", rule, AlertCodec.Json.AlertRule, Xunit.TestContext.Current.CancellationToken))
        {
            created.EnsureSuccessStatusCode();
        }

        Model.Alerts.ApplyRule(rule.Id, rule);
        var dialogs = Render<MudDialogProvider>();
        Render<MudSnackbarProvider>();
        var page = Render<RulesPage>();

        // Cancel keeps it.
        ClickOn(page, "[data-testid=rule-row][data-rule=to-delete] [data-testid=delete-rule]");
        dialogs.WaitForAssertion(() => Assert.Contains("Delete the rule to-delete?", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.InvokeAsync(() => dialogs.FindAll("button").First(b => b.TextContent.Contains("Cancel", StringComparison.Ordinal)).Click());
        dialogs.WaitForAssertion(() => Assert.DoesNotContain("Delete the rule to-delete?", dialogs.Markup, StringComparison.Ordinal));
        Assert.NotNull(await live.GetAsync("api/rules/to-delete", AlertCodec.Json.AlertRule));

        // Delete removes it from the API and from the list.
        ClickOn(page, "[data-testid=rule-row][data-rule=to-delete] [data-testid=delete-rule]");
        dialogs.WaitForAssertion(() => Assert.Contains("Delete the rule to-delete?", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.InvokeAsync(() => dialogs.FindAll("button").First(b => b.TextContent.Trim().Equals("Delete", StringComparison.Ordinal)).Click());
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=rule-row][data-rule=to-delete]")), Deadline);
        Assert.Null(await live.GetAsync("api/rules/to-delete", AlertCodec.Json.AlertRule));
    }

    [Fact]
    public async Task ChannelsPage_DeletesAChannel_OnlyAfterTheConfirmation()
    {
        await using var live = await LiveAlerting.StartAsync();
        Model.Options.AlertingUrl = live.Url;
        await live.PutChannelAsync(new NotificationChannel { Id = "old-hook", Name = "Old hook", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1:9/hook") });
        var dialogs = Render<MudDialogProvider>();
        Render<MudSnackbarProvider>();
        var page = Render<ChannelsPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=channel-row] [data-testid=delete-channel]"), Deadline);

        ClickOn(page, "[data-testid=delete-channel]");
        dialogs.WaitForAssertion(() => Assert.Contains("Delete the channel old-hook?", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.InvokeAsync(() => dialogs.FindAll("button").First(b => b.TextContent.Contains("Cancel", StringComparison.Ordinal)).Click());
        dialogs.WaitForAssertion(() => Assert.DoesNotContain("Delete the channel old-hook?", dialogs.Markup, StringComparison.Ordinal));
        Assert.NotNull(await live.GetAsync("api/channels/old-hook", AlertCodec.Json.NotificationChannel));

        ClickOn(page, "[data-testid=delete-channel]");
        dialogs.WaitForAssertion(() => Assert.Contains("Delete the channel old-hook?", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.InvokeAsync(() => dialogs.FindAll("button").First(b => b.TextContent.Trim().Equals("Delete", StringComparison.Ordinal)).Click());
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=channel-row]")), Deadline);
        Assert.Null(await live.GetAsync("api/channels/old-hook", AlertCodec.Json.NotificationChannel));
    }

    [Fact]
    public async Task HostPage_CustomRange_ReadsTheRangeBackFromTheLog()
    {
        await using var live = await LiveAlerting.StartAsync();
        Model.Options.Bootstrap = live.Bootstrap;
        Batches.Feed(Model, Clock, "web-1", 2, _ => 0.5);
        // An hour of web-1 two days before the test's clock, one batch a minute, CPU 0.25.
        var start = Batches.Start.AddDays(-2);
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = live.Bootstrap, Acks = Acks.All }).Build())
        {
            for (var m = 0; m <= 60; m++)
            {
                var batch = Batches.Host("web-1", start.AddMinutes(m), 0.25, sequence: (ulong)m + 1); // each its own: a repeat would be left out
                producer.Produce("metrics", new Message<string, byte[]> { Key = "web-1", Value = batch.ToByteArray(), Timestamp = new Timestamp(start.AddMinutes(m).UtcDateTime) });
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var page = Render<HostPage>(p => p.Add(x => x.HostId, "web-1"));
        ClickOn(page, "[data-testid=range-custom]");
        ChangeTo(page, "custom-from", start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        ChangeTo(page, "custom-to", start.AddHours(1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        ClickOn(page, "[data-testid=custom-apply]");

        page.WaitForAssertion(() => Assert.Contains("61 records read back from the log", page.Find("[data-testid=range-status]").TextContent, StringComparison.Ordinal), Deadline);
        Assert.Empty(page.FindAll("[data-testid=range-error]"));
        Assert.NotEmpty(page.FindAll("[data-testid=chart-cpu] polyline.series"));
    }
}
