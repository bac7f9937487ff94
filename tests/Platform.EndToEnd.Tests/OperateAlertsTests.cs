using Microsoft.Playwright;

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
        await Assertions.Expect(page.Locator("[data-testid=backtest-result]")).ToContainTextAsync("in the last 24 h", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
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
    public async Task BrokerPage_ShowsTopics_AndTheAlertingGroupsLagPerPartition()
    {
        var page = await fixture.Browser.OpenAsync($"{fixture.Host.Url}/broker");
        await Assertions.Expect(page.Locator("[data-testid=topic-row][data-topic=metrics]")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        var group = page.Locator("[data-testid=group][data-group=platform-alerting]");
        await Assertions.Expect(group).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await Assertions.Expect(group.Locator("[data-testid=lag-row][data-topic=metrics]").First).ToBeAttachedAsync(new LocatorAssertionsToBeAttachedOptions { Timeout = 30_000 });
        await Assertions.Expect(group.Locator("[data-testid=group-member]").First).ToBeVisibleAsync();
        var lag = await group.Locator("[data-testid=lag-row][data-topic=metrics]").First.GetAttributeAsync("data-lag");
        Assert.True(long.TryParse(lag, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0, $"a lag per partition, got '{lag}'");
        // Live: the end offsets of metrics move on their own.
        var before = await page.Locator("[data-testid=broker-updated]").TextContentAsync();
        await Assertions.Expect(page.Locator("[data-testid=broker-updated]")).Not.ToHaveTextAsync(before ?? string.Empty, new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 });
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
        await page.CloseAsync();
    }
}
