using Platform.Dashboard;
using Platform.TestKit;

namespace Platform.EndToEnd.Tests;

/// <summary>The whole platform in-process as <c>dotnet run --project Platform.Dashboard</c> starts it, on free loopback ports and a temp data folder.</summary>
public sealed class AllInOneFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new("platform-e2e");

    public PlatformHost Host { get; private set; } = null!;

    public Browser Browser { get; } = new();

    /// <summary>A file the local agent tails (it exists, empty, when the platform starts).</summary>
    public string TailedLog => System.IO.Path.Combine(_data.Path, "app.log");

    public string HostId => Host.LocalHostId ?? throw new InvalidOperationException("the all-in-one host runs no local agent");

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(TailedLog, string.Empty);
        var options = new PlatformHostOptions
        {
            Urls = "http://127.0.0.1:0",
            KafkaListen = "127.0.0.1:0",
            DataDirectory = _data.Path,
            AgentInterval = TimeSpan.FromSeconds(1),
        };
        options.AgentLogPaths.Add(TailedLog);
        Host = await PlatformHost.StartAsync(options);
        await Browser.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Host.DisposeAsync();
        _data.Dispose();
    }
}
