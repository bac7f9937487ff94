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

        for (ulong sequence = 2; sequence <= 4; sequence++)
        {
            var batch = Sample("web-1", sequence, sequence / 10.0);
            Model.Apply(batch);
            await Poll.UntilAsync(() => updates.Any(u => u.Update.LastSeenUnixMs >= batch.TimestampUnixMs), TimeSpan.FromSeconds(10), $"the update of sample {sequence}", ct);
            var (update, received) = updates.First(u => u.Update.LastSeenUnixMs >= batch.TimestampUnixMs);
            Assert.True(received - batch.TimestampUnixMs < 2000, $"update {sequence} arrived {received - batch.TimestampUnixMs} ms after its sample");
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
        for (ulong i = 1; i <= 20; i++)
        {
            var web = Sample("web-2", i, 0.5);
            var db = Sample("db-1", i, 0.5);
            web.TimestampUnixMs = db.TimestampUnixMs = start.ToUnixTimeMilliseconds() + (long)i;
            Model.Apply(web);
            Model.Apply(db);
        }

        await Poll.UntilAsync(() => !updates.IsEmpty, TimeSpan.FromSeconds(10), "the first db-1 update", ct);
        var first = updates.First();
        Assert.Equal("db-1", first.HostId);
        // One update carries every point since the previous one.
        Assert.Equal(20, first.Series.Single(s => s.Name == SeriesNames.HostCpu).Points.Count);
        Assert.All(updates, u => Assert.Equal("db-1", u.HostId));
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
