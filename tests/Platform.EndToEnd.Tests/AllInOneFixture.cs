using Platform.Dashboard;
using Platform.TestKit;

namespace Platform.EndToEnd.Tests;

/// <summary>The whole platform in-process as <c>dotnet run --project Platform.Dashboard</c> starts it, on free loopback ports and a temp data folder.</summary>
public sealed class AllInOneFixture : IAsyncLifetime
{
    private readonly TempDirectory _data = new("platform-e2e");

    public PlatformHost Host { get; private set; } = null!;

    public Browser Browser { get; } = new();

    public string HostId => Host.LocalHostId ?? throw new InvalidOperationException("the all-in-one host runs no local agent");

    public async ValueTask InitializeAsync()
    {
        Host = await PlatformHost.StartAsync(new PlatformHostOptions
        {
            Urls = "http://127.0.0.1:0",
            KafkaListen = "127.0.0.1:0",
            DataDirectory = _data.Path,
            AgentInterval = TimeSpan.FromSeconds(1),
        });
        await Browser.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Host.DisposeAsync();
        _data.Dispose();
    }
}
