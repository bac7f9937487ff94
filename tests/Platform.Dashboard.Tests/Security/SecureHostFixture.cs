using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Platform.Alerting.Security;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Security;

/// <summary>The all-in-one host with security on, on free loopback ports, with a viewer and an operator besides the first admin.</summary>
public sealed partial class SecureHostFixture : IAsyncLifetime
{
    public const string ViewerPassword = "viewer-password-1";
    public const string OperatorPassword = "operator-password-1";

    private readonly TempDirectory _data = new("platform-secure");
    private readonly StringWriter _console = new();

    public PlatformHost Host { get; private set; } = null!;

    /// <summary>What the host printed at start (the generated admin password among it).</summary>
    public string Console => _console.ToString();

    public string AdminPassword { get; private set; } = null!;

    public string DataDirectory => _data.Path;

    public async ValueTask InitializeAsync()
    {
        Host = await PlatformHost.StartAsync(new PlatformHostOptions
        {
            Urls = "http://127.0.0.1:0",
            KafkaListen = "127.0.0.1:0",
            DataDirectory = _data.Path,
            Secure = true,
            Output = _console,
            AgentInterval = TimeSpan.FromSeconds(1),
        });
        AdminPassword = PrintedPassword().Match(Console).Groups[1].Value;
        var users = Host.Services.GetRequiredService<UserStore>();
        users.Add("vic", PlatformRoles.Viewer, ViewerPassword);
        users.Add("otto", PlatformRoles.Operator, OperatorPassword);
    }

    public string PasswordOf(string user) => user switch
    {
        "admin" => AdminPassword,
        "vic" => ViewerPassword,
        "otto" => OperatorPassword,
        _ => throw new ArgumentOutOfRangeException(nameof(user)),
    };

    /// <summary>A client that keeps cookies and does not follow redirects (so tests see them).</summary>
    public (HttpClient Client, CookieContainer Cookies) Browser()
    {
        var cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(Host.Url) };
        return (client, cookies);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _data.Dispose();
    }

    [GeneratedRegex(@"with the password\s+(\S+)\s")]
    private static partial Regex PrintedPassword();
}
