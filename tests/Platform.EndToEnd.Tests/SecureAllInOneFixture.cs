using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Platform.Alerting.Security;
using Platform.Dashboard;
using Platform.TestKit;

namespace Platform.EndToEnd.Tests;

/// <summary>The whole platform in-process as <c>dotnet run --project Platform.Dashboard -- --secure</c> starts it, with the printed admin password.</summary>
public sealed partial class SecureAllInOneFixture : IAsyncLifetime
{
    public const string ViewerPassword = "viewer-password-e2e";

    private readonly TempDirectory _data = new("platform-e2e-secure");
    private readonly StringWriter _console = new();

    public PlatformHost Host { get; private set; } = null!;

    public string DataDirectory => _data.Path;

    public Browser Browser { get; } = new();

    public string AdminPassword { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Host = await PlatformHost.StartAsync(new PlatformHostOptions
        {
            Urls = "http://127.0.0.1:0",
            KafkaListen = "127.0.0.1:0",
            DataDirectory = _data.Path,
            AgentInterval = TimeSpan.FromSeconds(1),
            Secure = true,
            Output = _console,
        });
        AdminPassword = PrintedPassword().Match(_console.ToString()).Groups[1].Value;
        Host.Services.GetRequiredService<UserStore>().Add("vic", PlatformRoles.Viewer, ViewerPassword);
        await Browser.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Host.DisposeAsync();
        _data.Dispose();
    }

    [GeneratedRegex(@"with the password\s+(\S+)\s")]
    private static partial Regex PrintedPassword();
}
