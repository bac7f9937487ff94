using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Alerting.Security;
using Platform.Dashboard.Security;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Security;

/// <summary>Failed logins are limited per source: the 6th attempt within a minute gets 429 with Retry-After, even with the right password.</summary>
public sealed class ThrottledLoginTests : IDisposable
{
    private readonly TempDirectory _dir = new("platform-throttle");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task BasicAuth_Answers429WithRetryAfter_AfterTheFifthFailure()
    {
        await using var app = await StartProbeApiAsync();
        using var client = ClientOf(app);

        async Task<HttpResponseMessage> TryAsync(string password)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/probe");
            request.Headers.Authorization = SecureHostTests.Basic("ann", password);
            return await client.SendAsync(request, TestContext.Current.CancellationToken);
        }

        using (var right = await TryAsync("the right password"))
        {
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await TryAsync("wrong " + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var refused = await TryAsync("the right password");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task LoginForm_Answers429_AfterTheFifthFailure_WithoutCheckingThePassword()
    {
        var login = LoginFor("ann", PlatformRoles.Viewer);

        HttpContext Request()
        {
            var context = new DefaultHttpContext();
            context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.7");
            return context;
        }

        for (var i = 0; i < 5; i++)
        {
            var outcome = await login.SignInAsync(Request(), "ann", "wrong " + i);
            Assert.Equal(LoginService.WrongCredentials, outcome.Error);
        }

        var context = Request();
        var refused = await login.SignInAsync(context, "ann", "the right password");
        Assert.StartsWith("Too many failed logins", refused.Error, StringComparison.Ordinal);
        Assert.Equal(StatusCodes.Status429TooManyRequests, context.Response.StatusCode);
        Assert.False(string.IsNullOrEmpty(context.Response.Headers.RetryAfter));
    }

    [Fact]
    public async Task BasicAuth_ConcurrentBurstOfWrongPasswords_ChecksAtMostFive()
    {
        await using var app = await StartProbeApiAsync();
        using var client = ClientOf(app);

        async Task<HttpStatusCode[]> BurstAsync(Func<int, string> password) => await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/probe");
            request.Headers.Authorization = SecureHostTests.Basic("ann", password(i));
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            return response.StatusCode;
        }));

        // Honest parallel requests wait their turn rather than being refused.
        Assert.All(await BurstAsync(_ => "the right password"), s => Assert.Equal(HttpStatusCode.OK, s));

        var statuses = await BurstAsync(i => "wrong " + i);

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(15, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task LoginForm_ConcurrentBurstOfWrongPasswords_ChecksAtMostFive()
    {
        var login = LoginFor("ann", PlatformRoles.Viewer);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            var context = new DefaultHttpContext();
            context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.8");
            var outcome = await login.SignInAsync(context, "ann", "wrong " + i);
            return (outcome.Error, context.Response.StatusCode);
        })));

        Assert.Equal(5, outcomes.Count(o => o.Error == LoginService.WrongCredentials));
        Assert.Equal(15, outcomes.Count(o => o.StatusCode == StatusCodes.Status429TooManyRequests));
    }

    [Fact]
    public async Task LoginForm_FailuresFromOtherAddresses_DoNotLockTheUserOut()
    {
        var login = LoginFor("admin", PlatformRoles.Admin);

        for (var i = 0; i < 10; i++)
        {
            var attacker = new DefaultHttpContext();
            attacker.Connection.RemoteIpAddress = IPAddress.Parse("198.51.100." + (i / 5 + 1));
            await login.SignInAsync(attacker, "admin", "guess " + i);
        }

        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().AddAuthentication().AddCookie().Services.BuildServiceProvider() };
        context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.9");
        var outcome = await login.SignInAsync(context, "admin", "the right password");
        Assert.Null(outcome.Error);
    }

    /// <summary>The API as the standalone alerting host secures it: Basic against a users file, the roles as policies;
    /// one viewer, ann, whose password is "the right password".</summary>
    private async Task<WebApplication> StartProbeApiAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddPlatformSecurity(Path.Combine(_dir.Path, "users.json"));
        var app = builder.Build();
        app.MapGet("/api/probe", () => "ok").RequireAuthorization(PlatformPolicies.View);
        app.Services.GetRequiredService<UserStore>().Add("ann", PlatformRoles.Viewer, "the right password");
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    private static HttpClient ClientOf(WebApplication app) =>
        new() { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

    /// <summary>The login form's service over a users file holding one user whose password is "the right password".</summary>
    private LoginService LoginFor(string user, string role)
    {
        var users = new UserStore(Path.Combine(_dir.Path, "users.json"));
        users.Add(user, role, "the right password");
        return new LoginService(users, new LoginThrottle(TimeProvider.System), NullLogger<LoginService>.Instance);
    }
}
