using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Alerting.Security;
using Platform.Dashboard.Hubs;
using Platform.Dashboard.Security;
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

            using var deleteRequest = new HttpRequestMessage(HttpMethod.Delete, "/api/rules/default-cpu-high");
            deleteRequest.Headers.Add(DashboardSecurity.RequestedWithHeader, "test");
            using var delete = await client.SendAsync(deleteRequest, Ct);
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

    [Theory]
    [InlineData("vic")]
    [InlineData("otto")]
    [InlineData("admin")]
    public async Task Hub_AcceptsASignedInUser_OfEveryRole_WithTheSessionCookie(string user)
    {
        var (client, cookies) = fixture.Browser();
        using (client)
        {
            (await LoginAsync(client, user, fixture.PasswordOf(user), "/")).Dispose();
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
    public async Task Hub_ConnectionOfADeletedUser_IsClosed()
    {
        var users = fixture.Host.Services.GetRequiredService<UserStore>();
        users.Add("hubber", PlatformRoles.Viewer, "hubber-password-1");
        await using var connection = new HubConnectionBuilder()
            .WithUrl(fixture.Host.Url + LiveHub.Path, o => o.Headers["Authorization"] = Basic("hubber", "hubber-password-1").ToString())
            .Build();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        await connection.StartAsync(Ct);
        Assert.NotNull(await connection.InvokeAsync<FleetUpdate>(nameof(LiveHub.WatchFleet), Ct));

        users.Remove("hubber");

        // A listening connection is closed by the periodic check; its next call would be refused at once.
        fixture.Host.Services.GetRequiredService<HubUserCheck>().Sweep();
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task Forms_WithoutTheAntiforgeryToken_AreRejected()
    {
        var (client, _) = fixture.Browser();
        using (client)
        {
            await client.GetStringAsync("/login", Ct);
            using var login = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login",
                ["Model.UserName"] = "admin",
                ["Model.Password"] = fixture.AdminPassword,
            });
            using (var refused = await client.PostAsync("/login", login, Ct))
            {
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                Assert.DoesNotContain(refused.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("platform.session=", StringComparison.Ordinal));
            }

            // Signed in, the sign-out form needs its token too (another site cannot sign the user out).
            (await LoginAsync(client, "vic", SecureHostFixture.ViewerPassword, "/")).Dispose();
            using var logout = await client.PostAsync("/logout", new FormUrlEncodedContent([]), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
            using var stillIn = await client.GetAsync("/api/rules", Ct);
            Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        }
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

    public static TheoryData<string, string, string> MoreCases => new()
    {
        // action, the lowest role allowed, a role below it.
        { "channel", "admin", "otto" },
        { "channel-test", "admin", "otto" },
        { "ack", "otto", "vic" },
        { "backtest", "otto", "vic" },
    };

    [Theory]
    [MemberData(nameof(MoreCases))]
    public async Task Api_ChannelsAckAndBacktest_NeedTheirRole_OverBasicAndCookie(string action, string allowed, string below)
    {
        foreach (var viaCookie in (bool[])[false, true])
        {
            foreach (var (user, mayDo) in new[] { (allowed, true), (below, false) })
            {
                var (client, _) = fixture.Browser();
                using (client)
                {
                    if (viaCookie)
                    {
                        (await LoginAsync(client, user, fixture.PasswordOf(user), "/")).Dispose();
                        client.DefaultRequestHeaders.Add(DashboardSecurity.RequestedWithHeader, "test");
                    }
                    else
                    {
                        client.DefaultRequestHeaders.Authorization = Basic(user, fixture.PasswordOf(user));
                    }

                    using var response = await SendMoreAsync(client, action);
                    var status = response.StatusCode;
                    if (mayDo)
                    {
                        Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{action} as {user} (cookie: {viaCookie}): {status}");
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.Forbidden, status);
                    }
                }
            }
        }

        using var anonymous = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        using var refused = await SendMoreAsync(anonymous, action);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Api_CookieWithoutTheCustomHeader_IsRefused_AndTextPlainBodies_Answer415()
    {
        var (client, _) = fixture.Browser();
        using (client)
        {
            (await LoginAsync(client, "admin", fixture.AdminPassword, "/")).Dispose();
            const string body = """{ "matchers": [ { "name": "host", "op": "=", "value": "csrf" } ], "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z" }""";

            // What another site's form or fetch can send without a preflight: text/plain, no custom header.
            using (var plain = await client.PostAsync("/api/silences", new StringContent(body, Encoding.UTF8, "text/plain"), Ct))
            {
                Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
            }

            using (var json = await client.PostAsync("/api/silences", new StringContent(body, Encoding.UTF8, "application/json"), Ct))
            {
                Assert.Equal(HttpStatusCode.Forbidden, json.StatusCode);
            }

            using (var channelTest = await client.PostAsync("/api/channels/nowhere/test", null, Ct))
            {
                Assert.Equal(HttpStatusCode.Forbidden, channelTest.StatusCode);
            }

            using (var crossOrigin = new HttpRequestMessage(HttpMethod.Get, "/api/rules"))
            {
                crossOrigin.Headers.Add("Origin", "http://127.0.0.1:1");
                using var answer = await client.SendAsync(crossOrigin, Ct);
                Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
            }

            client.DefaultRequestHeaders.Add(DashboardSecurity.RequestedWithHeader, "test");
            using (var plain = await client.PostAsync("/api/silences", new StringContent(body, Encoding.UTF8, "text/plain"), Ct))
            {
                Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
            }

            using (var json = await client.PostAsync("/api/silences", new StringContent(body, Encoding.UTF8, "application/json"), Ct))
            {
                Assert.Equal(HttpStatusCode.Created, json.StatusCode);
            }

            using (var import = await client.PostAsync("/api/rules/import", new StringContent("rules: []", Encoding.UTF8, "text/plain"), Ct))
            {
                Assert.Equal(HttpStatusCode.UnsupportedMediaType, import.StatusCode);
            }
        }

        // Basic (a script) needs no custom header, but a text/plain body is refused all the same.
        using var basic = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        basic.DefaultRequestHeaders.Authorization = Basic("admin", fixture.AdminPassword);
        using (var plain = await basic.PostAsync("/api/rules/validate", new StringContent("{}", Encoding.UTF8, "text/plain"), Ct))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);
        }

        // Basic credentials a browser cached, sent by another site's page (no body needed for a channel test).
        using (var foreign = new HttpRequestMessage(HttpMethod.Post, "/api/channels/no-such-channel/test"))
        {
            foreign.Headers.Add("Origin", "http://127.0.0.1:1");
            using var answer = await basic.SendAsync(foreign, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        }

        // The dashboard's own calls carry a ticket and no cookie.
        var tickets = fixture.Host.Services.GetRequiredService<ApiTicket>();
        var admin = fixture.Host.Services.GetRequiredService<UserStore>().Find("admin")!;
        using var ticketed = new HttpClient { BaseAddress = new Uri(fixture.Host.Url) };
        ticketed.DefaultRequestHeaders.Add(ApiTicket.Header, tickets.Issue(PlatformPrincipal.Create(admin, "test")));
        using var viaTicket = await ticketed.PostAsync("/api/silences", new StringContent(
            """{ "id": "ticketed", "matchers": [ { "name": "host", "op": "=", "value": "t" } ], "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z" }""",
            Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, viaTicket.StatusCode);
    }

    [Fact]
    public void Api_EveryMappedEndpoint_HasARolePolicy_OrIsOpenOnPurpose()
    {
        var open = new HashSet<string>(StringComparer.Ordinal) { "/health", "/metrics", "/login", "/logout" };
        var policies = new HashSet<string>(StringComparer.Ordinal) { PlatformPolicies.View, PlatformPolicies.Operate, PlatformPolicies.Administer };
        var endpoints = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/api", StringComparison.Ordinal) || raw.StartsWith("api", StringComparison.Ordinal) || raw.StartsWith("/hubs", StringComparison.Ordinal)))
            .ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText!.Contains("users", StringComparison.Ordinal));
        Assert.Contains(endpoints, e => e.RoutePattern.RawText!.Contains("channels", StringComparison.Ordinal));
        foreach (var endpoint in endpoints)
        {
            var name = endpoint.DisplayName ?? endpoint.RoutePattern.RawText!;
            Assert.Empty(endpoint.Metadata.GetOrderedMetadata<IAllowAnonymous>());
            var required = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null).ToList();
            Assert.True(required.Any(p => policies.Contains(p!)), $"{name} requires none of the platform's policies");
        }

        // The pages and open endpoints outside /api: those that allow anonymous users are exactly the known ones.
        var anonymous = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null && e.RoutePattern.RawText is { } raw && !raw.Contains('.', StringComparison.Ordinal))
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Distinct()
            .ToList();
        Assert.All(anonymous, path => Assert.Contains(path, open));
    }

    private static async Task<HttpResponseMessage> SendMoreAsync(HttpClient client, string action)
    {
        switch (action)
        {
            case "channel":
                return await client.PutAsync("/api/channels/sec-probe", new StringContent(
                    """{ "id": "sec-probe", "name": "Probe", "kind": "webhook", "webhook": { "url": "http://127.0.0.1:9/hook" } }""", Encoding.UTF8, "application/json"), Ct);
            case "channel-test":
                return await client.PostAsync("/api/channels/no-such-channel/test", null, Ct);
            case "ack":
                return await client.PostAsync("/api/alerts/no-such-fingerprint/ack", new StringContent("""{ "by": "probe" }""", Encoding.UTF8, "application/json"), Ct);
            default:
                return await client.PostAsync("/api/rules/backtest", new StringContent("""{ }""", Encoding.UTF8, "application/json"), Ct);
        }
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
