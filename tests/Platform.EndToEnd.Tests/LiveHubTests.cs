using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Platform.Dashboard;
using Platform.Dashboard.Hubs;
using Platform.Dashboard.Services;
using Platform.TestKit;
using Platform.Telemetry.V1;

namespace Platform.EndToEnd.Tests;

/// <summary>The dashboard alone, its consumer pointed at a port where nothing listens; tests feed its model directly.</summary>
public sealed class DashboardOnlyFixture : IAsyncLifetime
{
    public PlatformHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Host = await PlatformHost.StartAsync(new PlatformHostOptions { Urls = "http://127.0.0.1:0", Bootstrap = "127.0.0.1:9" });

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The live hub over a real SignalR connection, fed through the dashboard's model (no broker needed).</summary>
public sealed class LiveHubTests(DashboardOnlyFixture fixture) : IClassFixture<DashboardOnlyFixture>
{
    private readonly PlatformHost _host = fixture.Host;

    private FleetModel Model => _host.Services.GetRequiredService<FleetModel>();

    private HubConnection Connect() => new HubConnectionBuilder().WithUrl(_host.Url + LiveHub.Path).Build();

    private static MetricBatch Sample(string hostId, ulong sequence, double cpu)
    {
        var batch = new MetricBatch { SchemaVersion = 1, HostId = hostId, TimestampUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Sequence = sequence, AgentRunId = "r" };
        batch.Samples.Add(new Sample { Name = SeriesNames.CpuUtilization, Unit = "1", Value = cpu });
        return batch;
    }

    [Fact]
    public async Task WatchHost_ReceivesLiveUpdate_WithinTwoSecondsOfTheSample()
    {
        var ct = TestContext.Current.CancellationToken;
        Model.Apply(Sample("web-1", 1, 0.10));
        await using var connection = Connect();
        var updates = new ConcurrentQueue<(HostUpdate Update, long ReceivedUnixMs)>();
        connection.On<HostUpdate>(LiveHub.HostMessage, u => updates.Enqueue((u, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));
        await connection.StartAsync(ct);

        var snapshot = await connection.InvokeAsync<HostUpdate?>(nameof(LiveHub.WatchHost), "web-1", ct);
        Assert.NotNull(snapshot);
        Assert.Equal("web-1", snapshot.HostId);

        // Every sample reaches the watcher with its value; within 2 s, as three samples in a row must show. A loaded
        // machine can stall this process (server and client alike) for longer than that now and then: one late
        // update is measured again, a push path slower than 2 s never gets three in a row.
        var delays = new List<long>();
        var inTime = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (ulong sequence = 2; inTime < 3; sequence++)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"no three updates in a row arrived within 2 s of their samples; delays (ms): {string.Join(", ", delays)}");
            var batch = Sample("web-1", sequence, sequence / 10.0);
            Model.Apply(batch);
            // Every sample's update must come (a lost one fails here); how late it may be is the loop's 60 s, since a
            // full CI run once stalled this process for over 10 s, and lateness is judged by the 2 s rule above.
            await Poll.UntilAsync(() => updates.Any(u => u.Update.LastSeenUnixMs >= batch.TimestampUnixMs), TimeSpan.FromSeconds(30), $"the update of sample {sequence}", ct);
            var (update, received) = updates.First(u => u.Update.LastSeenUnixMs >= batch.TimestampUnixMs);
            delays.Add(received - batch.TimestampUnixMs);
            inTime = delays[^1] < 2000 ? inTime + 1 : 0;
            var cpu = Assert.Single(update.Series, s => s.Name == SeriesNames.HostCpu);
            Assert.Equal(sequence / 10.0, cpu.Points[^1].Value, 6);
        }
    }

    [Fact]
    public async Task WatchHost_PushesOnlyTheWatchedHost_AtMostOncePerSecond()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = Connect();
        var updates = new ConcurrentQueue<HostUpdate>();
        connection.On<HostUpdate>(LiveHub.HostMessage, updates.Enqueue);
        await connection.StartAsync(ct);
        Assert.Null(await connection.InvokeAsync<HostUpdate?>(nameof(LiveHub.WatchHost), "db-1", ct));

        // 20 samples of each host as fast as possible: the watcher gets db-1 only, throttled to the display rate.
        var start = DateTimeOffset.UtcNow;
        var applying = System.Diagnostics.Stopwatch.StartNew();
        for (ulong i = 1; i <= 20; i++)
        {
            var web = Sample("web-2", i, 0.5);
            var db = Sample("db-1", i, 0.5);
            web.TimestampUnixMs = db.TimestampUnixMs = start.ToUnixTimeMilliseconds() + (long)i;
            Model.Apply(web);
            Model.Apply(db);
        }

        applying.Stop();
        List<long> Pushed() => [.. updates.SelectMany(u => u.Series.Where(s => s.Name == SeriesNames.HostCpu)).SelectMany(s => s.Points).Select(p => p.TimeUnixMs)];
        await Poll.UntilAsync(() => Pushed().Count >= 20, TimeSpan.FromSeconds(10), "the 20 db-1 points pushed", ct);
        Assert.All(updates, u => Assert.Equal("db-1", u.HostId));
        // Each update carries every point since the previous one: all 20, each once, in order.
        Assert.Equal(Enumerable.Range(1, 20).Select(i => start.ToUnixTimeMilliseconds() + i), Pushed());
        // Throttled: one update per display interval (at least 800 ms apart), not one per sample. The loop above takes a
        // few milliseconds, so one update normally carries all 20 points; a push that lands inside the loop splits
        // them in two, and a loop stalled by the machine for longer spans one more update per interval it took.
        var allowed = 2 + (int)(applying.ElapsedMilliseconds / 800);
        Assert.True(updates.Count <= allowed, $"{updates.Count} updates for 20 samples applied in {applying.ElapsedMilliseconds} ms (at most {allowed})");
    }

    [Fact]
    public async Task WatchFleet_ReceivesCountsAndChangedHosts()
    {
        var ct = TestContext.Current.CancellationToken;
        Model.Apply(Sample("fleet-1", 1, 0.2));
        await using var connection = Connect();
        var updates = new ConcurrentQueue<FleetUpdate>();
        connection.On<FleetUpdate>(LiveHub.FleetMessage, updates.Enqueue);
        await connection.StartAsync(ct);

        var initial = await connection.InvokeAsync<FleetUpdate>(nameof(LiveHub.WatchFleet), ct);
        Assert.Contains(initial.Hosts, h => h.HostId == "fleet-1");

        Model.Apply(Sample("fleet-2", 1, 0.3));
        await Poll.UntilAsync(() => updates.Any(u => u.Hosts.Any(h => h.HostId == "fleet-2")), TimeSpan.FromSeconds(10), "fleet-2 in a fleet update", ct);
        Assert.True(updates.Last().Counts.Total >= 2);
    }

    [Fact]
    public async Task WatchHost_RejectsEmptyHostId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = Connect();
        await connection.StartAsync(ct);
        var error = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<HostUpdate?>(nameof(LiveHub.WatchHost), "", ct));
        Assert.Contains("host id", error.Message, StringComparison.Ordinal);
    }
}
