using Microsoft.Playwright;

namespace Platform.Bench.Dashboard;

/// <summary>
/// Real page sessions on the dashboard: headless Debian Chromium through Playwright (no browser download), each tab a
/// Blazor Server circuit that re-renders on the dashboard's 1 s tick. Host tabs record, in the browser, the delay from
/// the host's newest batch time (<c>data-last-seen-ms</c> on the page) to the DOM showing it: the render latency a
/// person sees.
/// </summary>
internal sealed class PageSessions : IAsyncDisposable
{
    // Runs in every host tab before the page's scripts: each change of the shown batch time is one render, and its delay.
    private const string RecordRenders = """
        window.__renders = [];
        new MutationObserver(() => {
            const e = document.querySelector('[data-testid=last-seen]');
            const v = e ? Number(e.getAttribute('data-last-seen-ms')) : 0;
            if (v && v !== window.__lastSeen) { window.__lastSeen = v; window.__renders.push(Date.now() - v); }
        }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
        """;

    private readonly List<IPage> _hostPages = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static async Task<PageSessions> OpenAsync(string url, IReadOnlyList<string> hostIds, int fleetTabs)
    {
        var sessions = new PageSessions();
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        sessions._playwright = await Playwright.CreateAsync();
        sessions._browser = await sessions._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
        var context = await sessions._browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        await context.AddInitScriptAsync(RecordRenders);
        foreach (var host in hostIds)
        {
            var page = await OpenTabAsync(context, $"{url}/hosts/{Uri.EscapeDataString(host)}");
            sessions._hostPages.Add(page);
        }

        for (var i = 0; i < fleetTabs; i++)
        {
            await OpenTabAsync(context, url + "/");
        }

        return sessions;
    }

    private static async Task<IPage> OpenTabAsync(IBrowserContext context, string url)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(url);
        // The circuit is up once the layout renders interactively.
        await page.Locator("[data-testid=circuit-ready]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        return page;
    }

    /// <summary>Forgets the renders so far (the warm-up's).</summary>
    public async Task ResetAsync()
    {
        foreach (var page in _hostPages)
        {
            await page.EvaluateAsync("() => { window.__renders = []; }");
        }
    }

    /// <summary>Every render delay (ms) recorded in the host tabs since the last reset, and how many renders per tab per second.</summary>
    public async Task<(double[] Delays, double RendersPerTabPerSecond)> CollectAsync(TimeSpan over)
    {
        var all = new List<double>();
        foreach (var page in _hostPages)
        {
            all.AddRange(await page.EvaluateAsync<double[]>("() => window.__renders.splice(0)"));
        }

        return (all.ToArray(), _hostPages.Count == 0 ? 0 : all.Count / over.TotalSeconds / _hostPages.Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
