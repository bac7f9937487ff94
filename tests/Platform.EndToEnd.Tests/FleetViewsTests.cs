using Platform.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;

namespace Platform.EndToEnd.Tests;

/// <summary>A dashboard holding a simulated fleet of 24 hosts with containers, rules and alerts, in Chromium.</summary>
public sealed class SimulatedFleetFixture : IAsyncLifetime
{
    private readonly DashboardOnlyFixture _dashboard = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _feeder;

    public Browser Browser { get; } = new();

    public string Url => _dashboard.Host.Url;

    public FleetModel Model => _dashboard.Host.Services.GetRequiredService<FleetModel>();

    public async ValueTask InitializeAsync()
    {
        await _dashboard.InitializeAsync();
        SimulatedFleet.Fill(Model, 24, 120);
        Model.Alerts.ApplyRule("cpu-high", new AlertRule
        {
            Id = "cpu-high", Name = "CPU high", Severity = AlertSeverity.Critical,
            Metric = new MetricCondition { Name = SeriesNames.CpuUtilization, Threshold = 0.9, RecoveryThreshold = 0.8 },
        });
        Model.Alerts.ApplyRule("cpu-busy", new AlertRule
        {
            Id = "cpu-busy", Name = "CPU busy", Severity = AlertSeverity.Warning,
            Metric = new MetricCondition { Name = SeriesNames.CpuUtilization, Threshold = 0.6 },
        });
        Model.Alerts.ApplyRule("disk-full", new AlertRule
        {
            Id = "disk-full", Name = "Disk full", Severity = AlertSeverity.Warning,
            Metric = new MetricCondition { Name = SeriesNames.FilesystemUtilization, Threshold = 0.85 },
        });
        // The busiest hosts of the simulation (see SimulatedFleet) have alerts firing: critical for every 7th, warning for every 5th.
        for (var h = 0; h < 24; h++)
        {
            if (h % 7 != 3 && h % 5 != 1)
            {
                continue;
            }

            var host = Model.Find(SimulatedFleet.HostId(h))!;
            var critical = h % 7 == 3;
            Model.Alerts.ApplyAlert(new AlertTransition
            {
                Fingerprint = $"{h:x16}", RuleId = critical ? "cpu-high" : "cpu-busy",
                RuleName = critical ? "CPU high" : "CPU busy", Severity = critical ? AlertSeverity.Critical : AlertSeverity.Warning, State = AlertState.Firing,
                Labels = new Dictionary<string, string> { ["host"] = host.HostId },
                Annotations = new Dictionary<string, string> { ["summary"] = $"CPU at {host.Numbers.Cpu:P0}" },
                Value = host.Numbers.Cpu, At = DateTimeOffset.UtcNow, FiredAt = DateTimeOffset.UtcNow.AddMinutes(-3),
            });
        }

        _feeder = Task.Run(async () =>
        {
            ulong sequence = 1000;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                sequence++;
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                for (var h = 0; h < 24; h++)
                {
                    // Host 23 went quiet: it shows as silent.
                    if (h != 23)
                    {
                        Model.Apply(SimulatedFleet.Batch(h, now, sequence, false));
                    }
                }
            }
        });
        await Browser.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _feeder!;
        }
        catch (OperationCanceledException)
        {
        }

        await Browser.DisposeAsync();
        await _dashboard.DisposeAsync();
        _stop.Dispose();
    }
}

public sealed class FleetViewsTests(SimulatedFleetFixture fixture) : IClassFixture<SimulatedFleetFixture>
{
    [Fact]
    public async Task FleetOverview_ShowsStatesSearchAndTable()
    {
        var page = await fixture.Browser.OpenAsync(fixture.Url);
        await Assertions.Expect(page.Locator("[data-testid=host-card]")).ToHaveCountAsync(24);
        await Assertions.Expect(page.Locator("[data-testid=count-silent]")).ToContainTextAsync("Silent 1", new LocatorAssertionsToContainTextOptions { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("[data-testid=count-critical]")).ToContainTextAsync("Critical 3");
        await Assertions.Expect(page.Locator("[data-testid=count-warning]")).ToContainTextAsync("Warning 5");
        await Browser.ScreenshotAsync(page, "sim-fleet-cards");

        await page.Locator("input[data-testid=fleet-search], [data-testid=fleet-search] input").First.FillAsync("db-");
        await Assertions.Expect(page.Locator("[data-testid=host-card]")).ToHaveCountAsync(6);
        await page.Locator("[data-testid=view-toggle]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=fleet-row]")).ToHaveCountAsync(6);
        await Browser.ScreenshotAsync(page, "sim-fleet-table");
        await page.CloseAsync();
    }

    [Fact]
    public async Task HostDetail_DrawsThresholdsAlertsAndContainers_InLightTheme()
    {
        var page = await fixture.Browser.OpenAsync($"{fixture.Url}/hosts/cache-003");
        await Assertions.Expect(page.Locator("[data-testid=chart-cpu] line.threshold")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=alert-row]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid=host-containers] [data-testid=container-row]")).ToHaveCountAsync(3);
        await Browser.ScreenshotAsync(page, "sim-host-dark");
        const string background = "() => getComputedStyle(document.body).backgroundColor";
        var dark = await page.EvaluateAsync<string>(background);
        await page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("data-theme", "light");
        // What a person sees changes, not only the toggle: the page's background turns light.
        await Poll.UntilAsync(async () => await page.EvaluateAsync<string>(background) != dark, TimeSpan.FromSeconds(20), "the background to change", TestContext.Current.CancellationToken);
        var light = await page.EvaluateAsync<string>(background);
        Assert.True(Brightness(light) > Brightness(dark), $"light {light} should be brighter than dark {dark}");
        await Browser.ScreenshotAsync(page, "sim-host-light");

        // The choice survives a reload (kept in the browser's localStorage).
        await page.ReloadAsync();
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("data-theme", "light");
        await Poll.UntilAsync(async () => await page.EvaluateAsync<string>(background) == light, TimeSpan.FromSeconds(20), "the light background after a reload", TestContext.Current.CancellationToken);
        await page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("data-theme", "dark");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Containers_SortByMemory()
    {
        var page = await fixture.Browser.OpenAsync($"{fixture.Url}/containers");
        await page.Locator("[data-testid=sort-memory]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=sort-memory]")).ToContainTextAsync("▼");
        var rows = page.Locator("[data-testid=container-row]");
        var memory = new List<double>();
        for (var i = 0; i < await rows.CountAsync(); i++)
        {
            memory.Add(double.Parse(await rows.Nth(i).GetAttributeAsync("data-memory") ?? "0", System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.True(memory.Count >= 20, $"expected the containers of the simulated hosts, got {memory.Count}");
        Assert.Equal(memory.OrderByDescending(m => m), memory);
        await Browser.ScreenshotAsync(page, "sim-containers");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Layout_FitsAPhoneAndAWallScreen()
    {
        var phone = await fixture.Browser.OpenAsync(fixture.Url, 390, 844);
        await Assertions.Expect(phone.Locator("[data-testid=host-card]").First).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(phone, "sim-fleet-phone");
        await phone.CloseAsync();
        var wall = await fixture.Browser.OpenAsync(fixture.Url, 3840, 2160);
        await Assertions.Expect(wall.Locator("[data-testid=host-card]").First).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(wall, "sim-fleet-wall");
        await wall.CloseAsync();
    }

    /// <summary>The sum of the red, green and blue of a CSS "rgb(r, g, b)" colour.</summary>
    private static int Brightness(string rgb) =>
        System.Text.RegularExpressions.Regex.Matches(rgb, "[0-9]+").Take(3).Sum(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture));
}
