using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Platform.Dashboard.Hubs;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Security;

/// <summary>The dashboard, its API and its hub with security on: who gets 200, 401 or 403, over Basic and over the login cookie.</summary>
public sealed partial class SecureHostTests(SecureHostFixture fixture) : IClassFixture<SecureHostFixture>
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    public static TheoryData<string?, string, HttpStatusCode> Cases => new()
    {
        // A viewer reads; an operator also silences; an admin also edits rules. Nobody gets in anonymously.
        { null, "read", HttpStatusCode.Unauthorized },
        { null, "silence", HttpStatusCode.Unauthorized },
        { null, "rule", HttpStatusCode.Unauthorized },
        { "vic", "read", HttpStatusCode.OK },
        { "vic", "silence", HttpStatusCode.Forbidden },
        { "vic", "rule", HttpStatusCode.Forbidden },
        { "otto", "read", HttpStatusCode.OK },
        { "otto", "silence", HttpStatusCode.Created },
        { "otto", "rule", HttpStatusCode.Forbidden },
        { "admin", "read", HttpStatusCode.OK },
        { "admin", "silence", HttpStatusCode.Created },
        { "admin", "rule", HttpStatusCode.OK },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Api_AnswersPerRole_OverBasic(string? user, string action, HttpStatusCode expected)
    {
        using var client = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = Basic(user, fixture.PasswordOf(user));
        }

        using var response = await SendAsync(client, action, user ?? "anonymous");
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task FirstStart_PrintsTheAdminPassword_WhichSignsIn_AndIsStoredOnlyHashed()
    {
        Assert.Matches("^[A-Za-z0-9]{20}$", fixture.AdminPassword);
        Assert.Contains("users set-password admin", fixture.Console, StringComparison.Ordinal);
        var file = Path.Combine(fixture.DataDirectory, "users.json");
        Assert.DoesNotContain(fixture.AdminPassword, await File.ReadAllTextAsync(file, Ct), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        var (client, _) = fixture.Browser();
        using (client)
        {
            using var response = await LoginAsync(client, "admin", fixture.AdminPassword, "/rules");
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/rules", response.Headers.Location?.PathAndQuery);
            var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("platform.session=", StringComparison.Ordinal));
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Pages_RedirectToLogin_WithoutASession_AndOpenWithOne()
    {
        var (client, _) = fixture.Browser();
        using (client)
        {
            using (var anonymous = await client.GetAsync("/hosts", Ct))
            {
                Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
                Assert.Equal("/login?returnUrl=%2Fhosts", anonymous.Headers.Location?.PathAndQuery);
            }

            using (var wrong = await LoginAsync(client, "vic", "not the password", "/"))
            {
                Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
                Assert.Contains("Wrong user name or password.", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }

            (await LoginAsync(client, "vic", SecureHostFixture.ViewerPassword, "/")).Dispose();
            using (var page = await client.GetAsync("/", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            }

            // The session cookie works on the API too, with the viewer's role.
            using (var read = await client.GetAsync("/api/rules", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }

            using var delete = await client.DeleteAsync("/api/rules/default-cpu-high", Ct);
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        }
    }

    [Fact]
    public async Task OpenEndpoints_HealthAndMetrics_NeedNoLogin_AndCountLogins()
    {
        using var client = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        using var health = await client.GetAsync("/health", Ct);
        Assert.NotEqual(HttpStatusCode.Unauthorized, health.StatusCode);
        using var metrics = await client.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("platform_logins_total", await metrics.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hub_RefusesAnAnonymousConnection()
    {
        await using var connection = new HubConnectionBuilder().WithUrl(fixture.Host.Url + LiveHub.Path).Build();
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync(Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }

    [Fact]
    public async Task Hub_AcceptsASignedInUser_WithTheSessionCookie()
    {
        var (client, cookies) = fixture.Browser();
        using (client)
        {
            (await LoginAsync(client, "vic", SecureHostFixture.ViewerPassword, "/")).Dispose();
        }

        await using var connection = new HubConnectionBuilder()
            .WithUrl(fixture.Host.Url + LiveHub.Path, o =>
            {
                o.Cookies = cookies;
                o.Transports = HttpTransportType.WebSockets | HttpTransportType.LongPolling;
            })
            .Build();
        await connection.StartAsync(Ct);
        var fleet = await connection.InvokeAsync<FleetUpdate>(nameof(LiveHub.WatchFleet), Ct);
        Assert.NotNull(fleet);
    }

    [Fact]
    public async Task Login_RefusesAForeignReturnUrl()
    {
        var (client, _) = fixture.Browser();
        using (client)
        {
            using var response = await LoginAsync(client, "otto", SecureHostFixture.OperatorPassword, "//evil.example/");
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal(new Uri(fixture.Host.Url + "/"), response.Headers.Location);
        }
    }

    [Fact]
    public async Task UsersApi_IsForAdmins_AndAnswersAGeneratedPasswordOnce()
    {
        using var viewer = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        viewer.DefaultRequestHeaders.Authorization = Basic("vic", SecureHostFixture.ViewerPassword);
        using (var refused = await viewer.GetAsync("/api/users", Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var admin = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        admin.DefaultRequestHeaders.Authorization = Basic("admin", fixture.AdminPassword);
        using var created = await admin.PostAsJsonAsync("/api/users", new { name = "api-made", role = "operator" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var password = (await created.Content.ReadFromJsonAsync<global::Platform.Dashboard.Security.UserPasswordResult>(Ct))!.GeneratedPassword!;

        using var made = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        made.DefaultRequestHeaders.Authorization = Basic("api-made", password);
        using (var list = await made.GetAsync("/api/rules", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        var users = await admin.GetStringAsync("/api/users", Ct);
        Assert.Contains("api-made", users, StringComparison.Ordinal);
        Assert.DoesNotContain("passwordHash", users, StringComparison.OrdinalIgnoreCase);
        using var lastAdmin = await admin.DeleteAsync("/api/users/admin", Ct);
        Assert.Equal(HttpStatusCode.Conflict, lastAdmin.StatusCode);
    }

    internal static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    /// <summary>Posts the login form as a browser does: the antiforgery token from the page, the cookie from its answer.</summary>
    internal static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string user, string password, string returnUrl)
    {
        var page = await client.GetStringAsync("/login", Ct);
        var token = AntiforgeryToken().Match(page).Groups[1].Value;
        Assert.NotEmpty(token);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            ["Model.UserName"] = user,
            ["Model.Password"] = password,
        });
        return await client.PostAsync("/login?returnUrl=" + Uri.EscapeDataString(returnUrl), form, Ct);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string action, string who)
    {
        switch (action)
        {
            case "read":
                return await client.GetAsync("/api/rules", Ct);
            case "silence":
                var silence = new Silence
                {
                    Id = "sec-" + who,
                    Matchers = [new LabelMatcher { Name = "host", Value = "nowhere" }],
                    StartsAt = DateTimeOffset.UtcNow,
                    EndsAt = DateTimeOffset.UtcNow.AddHours(1),
                    CreatedBy = who,
                };
                return await client.PostAsJsonAsync("/api/silences", silence, AlertCodec.Json.Silence, Ct);
            default:
                var rule = new AlertRule
                {
                    Id = "sec-" + who,
                    Name = "SecurityProbe",
                    Kind = RuleKind.Metric,
                    Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.99, Aggregation = Aggregation.Avg, WindowSeconds = 60 },
                    ForSeconds = 60,
                };
                return await client.PutAsJsonAsync($"/api/rules/{rule.Id}", rule, AlertCodec.Json.AlertRule, Ct);
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
