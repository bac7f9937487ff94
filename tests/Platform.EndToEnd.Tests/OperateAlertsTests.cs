using Microsoft.Playwright;
using Platform.TestKit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// Operating alerting from the browser against the whole platform in-process: a rule created through the UI fires
/// on this host's own metrics, and is acknowledged and silenced through the alerting API the buttons call.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class OperateAlertsTests(AllInOneFixture fixture) : IClassFixture<AllInOneFixture>
{
    private static async Task FillAsync(IPage page, string testId, string value) =>
        await page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First.FillAsync(value);

    [Fact]
    public async Task RuleCreatedInTheUi_Fires_IsAcknowledged_AndSilenced()
    {
        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/rules");
        // The default rules are listed.
        await Assertions.Expect(page.Locator("[data-testid=rule-row][data-rule=default-cpu-high]")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });

        await page.Locator("[data-testid=new-rule]").ClickAsync();
        await FillAsync(page, "field-id", "e2e-cpu");
        await FillAsync(page, "field-name", "E2eCpu");
        await FillAsync(page, "field-metric", "system.cpu.utilization");
        await FillAsync(page, "field-threshold", "90");
        await page.Locator("[data-testid=save-rule]").ClickAsync();
        // The API's field-level problem appears next to the threshold field.
        var form = page.Locator("[data-testid=rule-form]");
        await Assertions.Expect(form).ToContainTextAsync("did you mean 0.9");
        await Browser.ScreenshotAsync(page, "rule-validation");

        // A threshold this host crosses at once: CPU utilization > 0 for 0 s; the backtest replays what is retained.
        await FillAsync(page, "field-threshold", "0");
        await page.Locator("[data-testid=backtest]").ClickAsync();
        // This host has run for a while above 0 % CPU: the replay fires at least once, and lists when.
        await Assertions.Expect(page.Locator("[data-testid=backtest-result]")).ToHaveTextAsync(
            new System.Text.RegularExpressions.Regex(@"Would have fired [1-9][0-9]* times? in the last 24 h: \d\d-\d\d \d\d:\d\d:\d\d"), new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=backtest-result]")).Not.ToContainTextAsync("Replaying");
        await Browser.ScreenshotAsync(page, "rule-backtest");
        await page.Locator("[data-testid=save-rule]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=rule-row][data-rule=e2e-cpu]")).ToBeVisibleAsync();
        await Assertions.Expect(form).Not.ToBeAttachedAsync();

        // The toast for the new firing alert, and the bell counts it.
        await Assertions.Expect(page.Locator(".mud-snackbar").Filter(new LocatorFilterOptions { HasText = "E2eCpu" }).First)
            .ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("[data-testid=bell]")).Not.ToHaveAttributeAsync("data-count", "0");
        await Browser.ScreenshotAsync(page, "rules-toast");

        await page.Locator("[data-testid=bell]").ClickAsync();
        await page.WaitForURLAsync("**/alerts");
        var row = page.Locator("[data-testid=alert-row][data-rule=e2e-cpu][data-state=firing]").First;
        await row.WaitForAsync();
        var fingerprint = await row.GetAttributeAsync("data-fingerprint");
        var mine = page.Locator($"[data-testid=alert-row][data-fingerprint='{fingerprint}']");

        await FillAsync(page, "who", "e2e-operator");
        await mine.Locator("[data-testid=ack]").ClickAsync();
        await Assertions.Expect(mine.Locator("[data-testid=acknowledged]")).ToContainTextAsync("e2e-operator", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
        await Assertions.Expect(mine.Locator("[data-testid=ack]")).Not.ToBeAttachedAsync();

        await mine.Locator("[data-testid=silence]").ClickAsync();
        var silence = page.Locator("[data-testid=silence-row]").Filter(new LocatorFilterOptions { HasText = "E2eCpu" });
        await Assertions.Expect(silence.First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await Assertions.Expect(silence.First).ToContainTextAsync("e2e-operator");
        await Assertions.Expect(page.Locator("[data-testid=history-row][data-state=firing]").First).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "alerts");
        await page.CloseAsync();
    }

    [Fact]
    public async Task LogLineWrittenToATailedFile_AppearsInTheLiveTail_Highlighted()
    {
        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/logs");
        var marker = "e2e-marker-" + Guid.NewGuid().ToString("N")[..8];
        await FillAsync(page, "log-text", marker);
        await File.AppendAllTextAsync(fixture.TailedLog, $"ERROR payment failed {marker} for order 42\n", TestContext.Current.CancellationToken);

        var line = page.Locator("[data-testid=log-line]").Filter(new LocatorFilterOptions { HasText = marker }).First;
        await Assertions.Expect(line).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await Assertions.Expect(line).ToHaveAttributeAsync("data-host", fixture.HostId);
        await Assertions.Expect(line.Locator("[data-testid=log-match]")).ToHaveTextAsync(marker);

        // Paused, the tail holds still: a second line shows only after resume.
        await page.Locator("[data-testid=log-pause]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=log-pause]")).ToHaveAttributeAsync("data-paused", "true");
        await File.AppendAllTextAsync(fixture.TailedLog, $"INFO retry ok {marker} second\n", TestContext.Current.CancellationToken);
        await Browser.ScreenshotAsync(page, "logs");
        await page.Locator("[data-testid=log-pause]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=log-line]").Filter(new LocatorFilterOptions { HasText = "second" })).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await page.CloseAsync();
    }

    [Fact]
    public async Task BrokerPage_ShowsAGroupsExactLag_FollowsNewRecords_AndTheApiAgrees()
    {
        var ct = TestContext.Current.CancellationToken;
        // A topic with 5 records on which a group committed offset 2: a lag of exactly 3.
        using var producer = new Confluent.Kafka.ProducerBuilder<Confluent.Kafka.Null, string>(new Confluent.Kafka.ProducerConfig { BootstrapServers = fixture.Host.Bootstrap, Acks = Confluent.Kafka.Acks.All }).Build();
        var probe = new Confluent.Kafka.TopicPartition("lag-probe", 0);
        for (var i = 0; i < 5; i++)
        {
            await producer.ProduceAsync(probe, new Confluent.Kafka.Message<Confluent.Kafka.Null, string> { Value = $"r{i}" }, ct);
        }

        using (var consumer = new Confluent.Kafka.ConsumerBuilder<Confluent.Kafka.Ignore, Confluent.Kafka.Ignore>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = fixture.Host.Bootstrap, GroupId = "lag-test", EnableAutoCommit = false }).Build())
        {
            consumer.Commit([new Confluent.Kafka.TopicPartitionOffset(probe, 2)]);
        }

        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/broker");
        await Assertions.Expect(page.Locator("[data-testid=topic-row][data-topic=metrics]")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=group][data-group=platform-alerting] [data-testid=group-member]").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        var lagRow = page.Locator("[data-testid=group][data-group=lag-test] [data-testid=lag-row][data-topic=lag-probe][data-partition='0']");
        await Assertions.Expect(lagRow).ToHaveAttributeAsync("data-lag", "3", new LocatorAssertionsToHaveAttributeOptions { Timeout = 30_000 });

        // GET /api/broker answers the page's model: the same lag, offsets and topics.
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        var snapshot = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri("/api/broker", UriKind.Relative), ct))!;
        var lag = snapshot["groups"]!.AsArray().Single(g => (string?)g!["groupId"] == "lag-test")!["lags"]!.AsArray().Single(l => (string?)l!["topic"] == "lag-probe")!;
        Assert.Equal(2, (long)lag["committed"]!);
        Assert.Equal(5, (long)lag["highOffset"]!);
        Assert.Equal(3, (long)lag["lag"]!);
        Assert.Contains(snapshot["topics"]!.AsArray(), t => (string?)t!["name"] == "metrics");

        // Live: four more records and the page's lag follows to exactly 7.
        for (var i = 5; i < 9; i++)
        {
            await producer.ProduceAsync(probe, new Confluent.Kafka.Message<Confluent.Kafka.Null, string> { Value = $"r{i}" }, ct);
        }

        await Assertions.Expect(lagRow).ToHaveAttributeAsync("data-lag", "7", new LocatorAssertionsToHaveAttributeOptions { Timeout = 30_000 });
        await Browser.ScreenshotAsync(page, "broker");
        await page.CloseAsync();
    }

    [Fact]
    public async Task WebhookChannelAddedInTheUi_SendTest_ShowsTheDelivery_AndMasksTheUrl()
    {
        await using var receiver = new WebhookReceiver();
        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/channels");
        await page.Locator("[data-testid=new-channel]").ClickAsync();
        await FillAsync(page, "channel-id", "e2e-hook");
        await FillAsync(page, "channel-name", "E2E hook");
        await FillAsync(page, "channel-url", receiver.Url.ToString());
        Assert.Equal("password", await page.Locator("input[data-testid=channel-url], [data-testid=channel-url] input").First.GetAttributeAsync("type"));
        await page.Locator("[data-testid=save-channel]").ClickAsync();

        var row = page.Locator("[data-testid=channel-row][data-channel=e2e-hook]");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(row.Locator("[data-testid=channel-target]")).ToContainTextAsync("••••••");
        await Assertions.Expect(row.Locator("[data-testid=channel-target]")).Not.ToContainTextAsync("/hook");

        await row.Locator("[data-testid=test-channel]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=test-result]")).ToHaveAttributeAsync("data-success", "true", new LocatorAssertionsToHaveAttributeOptions { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=delivery-row][data-success=true]").First).ToBeVisibleAsync();
        Assert.False(receiver.Bodies.IsEmpty);
        await Browser.ScreenshotAsync(page, "channels");

        // Edit the channel without re-entering its URL: the form shows the stored one masked, and delivery keeps working.
        await row.Locator("[data-testid=edit-channel]").ClickAsync();
        var form = page.Locator("[data-testid=channel-form]");
        await Assertions.Expect(form).ToContainTextAsync($"stored: http://127.0.0.1:{receiver.Url.Port}/•••");
        await Assertions.Expect(form).Not.ToContainTextAsync("/hook");
        await FillAsync(page, "channel-name", "E2E hook renamed");
        await Browser.ScreenshotAsync(page, "channel-edit-masked");
        await page.Locator("[data-testid=save-channel]").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("E2E hook renamed");
        var delivered = receiver.Bodies.Count;
        await row.Locator("[data-testid=test-channel]").ClickAsync();
        await Poll.UntilAsync(() => receiver.Bodies.Count > delivered, TimeSpan.FromSeconds(30), "a delivery at the stored URL after the edit", TestContext.Current.CancellationToken);
        await Assertions.Expect(page.Locator("[data-testid=test-result]")).ToHaveAttributeAsync("data-success", "true", new LocatorAssertionsToHaveAttributeOptions { Timeout = 30_000 });

        // The API the page calls never hands the URL back.
        using var http = new HttpClient();
        var listed = await http.GetStringAsync(new Uri($"{fixture.Host.Url}/api/channels"), TestContext.Current.CancellationToken);
        Assert.DoesNotContain("/hook", listed, StringComparison.Ordinal);
        await page.CloseAsync();
    }

    [Fact]
    public async Task MaintenanceWindowCreatedInTheUi_IsListedAsCoveringThisHost()
    {
        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/alerts");
        await FillAsync(page, "who", "e2e-operator");
        await page.Locator("[data-testid=new-window]").ClickAsync();
        await FillAsync(page, "window-matchers", $"host={fixture.HostId}");
        await Assertions.Expect(page.Locator("[data-testid=window-form]")).ToContainTextAsync($"covers 1 host: {fixture.HostId}", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

        // Weekly on today, starting a few minutes ago, for two hours: in force now.
        var now = DateTimeOffset.UtcNow;
        var occurrence = now.AddMinutes(-5); // its weekday too, so the test holds just after midnight
        await SelectAsync(page, "Repeats", "weekly");
        await page.Locator($"[data-testid=window-day][data-day={occurrence.DayOfWeek.ToString().ToLowerInvariant()}]").ClickAsync();
        await FillAsync(page, "window-start-time", occurrence.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await FillAsync(page, "window-starts", now.AddMinutes(-10).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await FillAsync(page, "window-ends", now.AddDays(30).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await FillAsync(page, "window-comment", "e2e patching");
        await Browser.ScreenshotAsync(page, "maintenance-window-form");
        await page.Locator("[data-testid=save-window]").ClickAsync();

        var row = page.Locator("[data-testid=window-row]").Filter(new LocatorFilterOptions { HasText = "e2e patching" });
        await Assertions.Expect(row).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await Assertions.Expect(row.Locator("[data-testid=window-hosts]")).ToHaveTextAsync(fixture.HostId);
        await Assertions.Expect(row).ToHaveAttributeAsync("data-active", "true");
        await Assertions.Expect(row.Locator("[data-testid=window-schedule]")).ToContainTextAsync("weekly on");
        await Browser.ScreenshotAsync(page, "maintenance-window");

        // The API agrees: the window is in force.
        var id = await row.GetAttributeAsync("data-id");
        using var http = new HttpClient();
        var matches = await http.GetStringAsync(new Uri($"{fixture.Host.Url}/api/silences/{id}/matches"), TestContext.Current.CancellationToken);
        Assert.Contains("\"active\":true", matches, StringComparison.Ordinal);

        await row.Locator("[data-testid=expire-window]").ClickAsync();
        await Assertions.Expect(row).Not.ToBeAttachedAsync(new LocatorAssertionsToBeAttachedOptions { Timeout = 30_000 });
        await page.CloseAsync();
    }

    [Fact]
    public async Task RulePreviewChart_ShowsThisHostsMetric_WithTheThresholdLine()
    {
        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/rules");
        await page.Locator("[data-testid=new-rule]").ClickAsync();
        await FillAsync(page, "field-metric", "system.memory.utilization");
        await FillAsync(page, "field-threshold", "0.95");
        await FillAsync(page, "field-recovery", "0.9");
        await FillAsync(page, "field-matchers", $"host={fixture.HostId}");
        var chart = page.Locator("[data-testid=preview-chart]");
        await Assertions.Expect(chart.Locator("line.threshold[data-threshold='0.95']")).ToBeAttachedAsync(new LocatorAssertionsToBeAttachedOptions { Timeout = 30_000 });
        await Assertions.Expect(chart.Locator("line.recovery[data-recovery='0.9']")).ToBeAttachedAsync();
        await Assertions.Expect(chart.Locator("polyline.series").First).ToBeAttachedAsync(new LocatorAssertionsToBeAttachedOptions { Timeout = 30_000 });
        await Assertions.Expect(chart.Locator("polyline.series").First).ToHaveAttributeAsync("data-series", fixture.HostId);

        // Editing the threshold moves the line.
        await FillAsync(page, "field-threshold", "0.97");
        await Assertions.Expect(chart.Locator("line.threshold[data-threshold='0.97']")).ToBeAttachedAsync();
        await Browser.ScreenshotAsync(page, "rule-preview");

        // A longer range is read back from the log, the lines stay.
        await page.Locator("[data-testid=preview-range-1h]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=preview-status]")).ToContainTextAsync("read back from the log", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
        await Assertions.Expect(chart.Locator("polyline.series").First).ToHaveAttributeAsync("data-series", fixture.HostId);
        await Assertions.Expect(chart.Locator("line.threshold[data-threshold='0.97']")).ToBeAttachedAsync();
        await Browser.ScreenshotAsync(page, "rule-preview-1h");
        await page.CloseAsync();
    }

    [Fact]
    public async Task LogRuleCreatedInTheUi_FiresOnATailedLine_AndLinksToThatLineHighlighted()
    {
        var marker = "e2e-panic-" + Guid.NewGuid().ToString("N")[..8];
        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/rules");
        await page.Locator("[data-testid=new-rule]").ClickAsync();
        await SelectAsync(page, "Kind", "log");
        await Assertions.Expect(page.Locator("[data-testid=rule-form]")).ToHaveAttributeAsync("data-kind", "log");
        await FillAsync(page, "field-id", "e2e-log");
        await FillAsync(page, "field-name", "E2eLog");
        await FillAsync(page, "field-pattern", marker);
        await FillAsync(page, "field-log-window", "120");
        await page.Locator("[data-testid=save-rule]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=rule-row][data-rule=e2e-log]")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });

        await page.GotoAsync($"{fixture.Host.Url}/alerts");
        await Browser.WaitForCircuitAsync(page);
        var alert = page.Locator("[data-testid=alert-row][data-rule=e2e-log][data-state=firing]").First;
        // Alerting picks the new rule up from its topic; until then a line is not counted, so write until it fires.
        await Poll.UntilAsync(async () =>
        {
            await File.AppendAllTextAsync(fixture.TailedLog, $"ERROR worker crashed: {marker} in job 7\n", TestContext.Current.CancellationToken);
            try
            {
                await alert.WaitForAsync(new LocatorWaitForOptions { Timeout = 5_000 });
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), "the log rule's alert to fire", TestContext.Current.CancellationToken);
        await Browser.ScreenshotAsync(page, "log-alert");

        await alert.Locator("[data-testid=alert-lines]").ClickAsync();
        await page.WaitForURLAsync("**/logs?**");
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=log-range]")).ToHaveAttributeAsync("data-loading", "false", new LocatorAssertionsToHaveAttributeOptions { Timeout = 30_000 });
        var line = page.Locator("[data-testid=log-line][data-matched=true]").Filter(new LocatorFilterOptions { HasText = marker }).First;
        await Assertions.Expect(line).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await Assertions.Expect(line).ToHaveAttributeAsync("data-host", fixture.HostId);
        await Assertions.Expect(line.Locator("[data-testid=log-match]")).ToHaveTextAsync(marker);
        await Assertions.Expect(page.Locator("[data-testid=log-range]")).ToContainTextAsync("read back from the log");
        await Browser.ScreenshotAsync(page, "log-alert-lines");

        // The REST API answers the same query with the same line.
        using var http = new HttpClient();
        var query = new Uri(page.Url).Query;
        var api = await http.GetStringAsync(new Uri($"{fixture.Host.Url}/api/logs{query}"), TestContext.Current.CancellationToken);
        Assert.Contains($"worker crashed: {marker}", api, StringComparison.Ordinal);
        Assert.Contains($"\"matches\":[\"{marker}\"]", api, StringComparison.Ordinal);
        using (var bad = await http.GetAsync(new Uri($"{fixture.Host.Url}/api/logs?from=2000&to=1000&pattern=(&regex=true"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
            var problem = await bad.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Contains("must be after from", problem, StringComparison.Ordinal);
            Assert.Contains("bad regular expression", problem, StringComparison.Ordinal);
        }

        using var deleted = await http.DeleteAsync(new Uri($"{fixture.Host.Url}/api/rules/e2e-log"), TestContext.Current.CancellationToken);
        await page.CloseAsync();
    }

    /// <summary>Picks an item of a MudSelect by its label: open the list, click the item.</summary>
    [Fact]
    public async Task MaintenanceWindowEditedInTheUi_ListsTheChange_AndTheApiAgrees()
    {
        var now = DateTimeOffset.UtcNow;
        using var http = new HttpClient();
        using var created = await http.PostAsync(new Uri($"{fixture.Host.Url}/api/silences"), new StringContent($$"""
            { "id": "maintenance-e2e-edit", "matchers": [ { "name": "host", "op": "=", "value": "{{fixture.HostId}}" } ],
              "startsAt": "{{now.AddMinutes(-10):O}}", "endsAt": "{{now.AddDays(30):O}}", "createdBy": "e2e-planner", "comment": "kernel update",
              "recurrence": { "frequency": "daily", "startTime": "02:00", "durationSeconds": 3600 } }
            """, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        created.EnsureSuccessStatusCode();

        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/alerts");
        var row = page.Locator("[data-testid=window-row][data-id=maintenance-e2e-edit]");
        await Assertions.Expect(row.Locator("[data-testid=window-schedule]")).ToContainTextAsync("daily at 02:00 for 1 h", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
        await row.Locator("[data-testid=edit-window]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=window-form]")).ToHaveAttributeAsync("data-editing", "maintenance-e2e-edit");

        // Weekly on Saturdays and Sundays at 03:30 for 3 h in Paris, with a new comment.
        await SelectAsync(page, "Repeats", "weekly");
        await page.Locator("[data-testid=window-day][data-day=saturday]").ClickAsync();
        await page.Locator("[data-testid=window-day][data-day=sunday]").ClickAsync();
        await FillAsync(page, "window-start-time", "03:30");
        await FillAsync(page, "window-duration", "3");
        await FillAsync(page, "window-time-zone", "Europe/Paris");
        await FillAsync(page, "window-comment", "kernel update, weekends");
        await Browser.ScreenshotAsync(page, "maintenance-window-edit-form");
        await page.Locator("[data-testid=save-window]").ClickAsync();

        await Assertions.Expect(row.Locator("[data-testid=window-schedule]")).ToContainTextAsync("weekly on Sat, Sun at 03:30 for 3 h (Europe/Paris)", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
        await Assertions.Expect(row).ToContainTextAsync("kernel update, weekends");
        await Assertions.Expect(row).ToContainTextAsync("e2e-planner"); // the creator is kept
        await Assertions.Expect(page.Locator("[data-testid=window-form]")).Not.ToBeAttachedAsync();
        await Browser.ScreenshotAsync(page, "maintenance-window-edited");

        var stored = await http.GetStringAsync(new Uri($"{fixture.Host.Url}/api/silences/maintenance-e2e-edit"), TestContext.Current.CancellationToken);
        Assert.Contains("\"startTime\":\"03:30\"", stored, StringComparison.Ordinal);
        Assert.Contains("\"comment\":\"kernel update, weekends\"", stored, StringComparison.Ordinal);
        await row.Locator("[data-testid=expire-window]").ClickAsync();
        await Assertions.Expect(row).Not.ToBeAttachedAsync(new LocatorAssertionsToBeAttachedOptions { Timeout = 30_000 });
        await page.CloseAsync();
    }

    [Fact]
    public async Task RulePreview_DrawsTheRulesAverage_OverTheRawSamplesFaint()
    {
        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/rules");
        await page.Locator("[data-testid=new-rule]").ClickAsync();
        await FillAsync(page, "field-metric", "system.cpu.utilization");
        await FillAsync(page, "field-matchers", $"host={fixture.HostId}");
        await FillAsync(page, "field-threshold", "0.8");
        await SelectAsync(page, "Aggregation", "avg");
        await FillAsync(page, "field-window", "30");
        var chart = page.Locator("[data-testid=preview-chart]");
        await Assertions.Expect(chart.Locator("polyline.series.faint").First).ToBeAttachedAsync(new LocatorAssertionsToBeAttachedOptions { Timeout = 30_000 });
        await Assertions.Expect(chart.Locator("polyline.series:not(.faint)").First).ToHaveAttributeAsync("data-series", fixture.HostId);
        await Assertions.Expect(chart).ToContainTextAsync("avg(system.cpu.utilization, 30 s)");
        await Assertions.Expect(page.Locator("[data-testid=preview-status]")).ToContainTextAsync("avg over 30 s, raw samples faint");

        // The summary template rendered for this host at the threshold.
        await FillAsync(page, "field-summary", "CPU on {{host}} at {{value|percent}} (over {{threshold}})");
        await Assertions.Expect(page.Locator("[data-testid=example-summary]")).ToHaveTextAsync($"summary: CPU on {fixture.HostId} at 80 % (over 0.8)");
        await Browser.ScreenshotAsync(page, "rule-preview-avg");
        await page.CloseAsync();
    }

    private static async Task SelectAsync(IPage page, string label, string item)
    {
        await page.Locator(".mud-select").Filter(new LocatorFilterOptions { Has = page.Locator("label", new PageLocatorOptions { HasTextString = label }) }).First
            .Locator(".mud-input-control").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new LocatorFilterOptions { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{item}") }).First.ClickAsync();
    }
}
