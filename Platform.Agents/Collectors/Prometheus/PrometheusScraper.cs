using Microsoft.Extensions.Logging;
using Platform.Agents.Health;
using Platform.Telemetry;
using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors.Prometheus;

/// <summary>
/// Scrapes Prometheus text endpoints once per tick and forwards their samples, each with an
/// <c>instance</c> label (HOST:PORT of the endpoint). A failed scrape is logged, counted and skipped; so is a
/// response larger than <see cref="MaxResponseBytes"/> (the batches it would make are split by the agent, but
/// an exporter gone wild must not take the agent's memory).
/// </summary>
internal sealed class PrometheusScraper : ICollector, IDisposable
{
    private readonly (Uri Url, Label Instance)[] _targets;
    private readonly HttpClient _client;
    private readonly AgentCounters _counters;
    private readonly ILogger _logger;
    private readonly Dictionary<Uri, long> _lastLogged = [];

    public PrometheusScraper(IEnumerable<string> targets, TimeSpan timeout, AgentCounters counters, ILogger logger)
    {
        _targets = [.. targets.Select(t => new Uri(t)).Select(u => (u, LabelCache.Get(LabelNames.Instance, u.Authority)))];
        _client = new HttpClient { Timeout = timeout, MaxResponseContentBufferSize = MaxResponseBytes };
        _client.DefaultRequestHeaders.Accept.ParseAdd("text/plain; version=0.0.4");
        _counters = counters;
        _logger = logger;
    }

    /// <summary>The largest scrape response read (16 MiB, about 200k samples).</summary>
    internal const int MaxResponseBytes = 16 * 1024 * 1024;

    public string Name => "prometheus";

    public CollectorKind Kind => CollectorKind.Scrape;

    public async ValueTask CollectAsync(SampleSink sink, long nowUnixMs, CancellationToken cancellationToken)
    {
        var scrapes = new Task<string?>[_targets.Length];
        for (var i = 0; i < _targets.Length; i++)
        {
            scrapes[i] = ScrapeAsync(_targets[i].Url, cancellationToken);
        }

        for (var i = 0; i < _targets.Length; i++)
        {
            var text = await scrapes[i];
            if (text is null)
            {
                continue;
            }

            var (samples, bad) = PrometheusTextParser.Parse(text, _targets[i].Instance);
            foreach (var sample in samples)
            {
                sink.Add(sample);
            }

            _counters.PrometheusForwarded(samples.Count);
            if (bad > 0)
            {
                _counters.CollectError(CollectorKind.Scrape);
            }
        }
    }

    private async Task<string?> ScrapeAsync(Uri url, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetStringAsync(url, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            _counters.CollectError(CollectorKind.Scrape);
            // Counted every time; logged at most once a minute per endpoint.
            var now = Environment.TickCount64;
            lock (_lastLogged)
            {
                if (!_lastLogged.TryGetValue(url, out var last) || now - last > 60_000)
                {
                    _lastLogged[url] = now;
                    Log.ScrapeFailed(_logger, url.ToString(), e.Message);
                }
            }

            return null;
        }
    }

    public void Dispose() => _client.Dispose();
}
