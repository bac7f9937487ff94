using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Platform.Dashboard;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The all-in-one on https only, with a certificate issued for a public name (not for 127.0.0.1) as the README's secure
/// recipe starts it: the dashboard's own calls to the embedded alerting API still succeed.
/// </summary>
public sealed class HttpsAllInOneTests
{
    [Fact]
    public async Task AllInOne_OperatesThroughItsAlertingApi_WhenEveryAddressIsHttps()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDirectory("platform-e2e-https");
        using var certificate = PublicNameCertificate("dashboard.example");
        await using var host = await PlatformHost.StartAsync(HttpsOnly(data, certificate), ct);
        Assert.StartsWith("https://", host.Url, StringComparison.Ordinal);

        using var scope = host.Services.CreateScope();
        var api = scope.ServiceProvider.GetRequiredService<AlertingApi>();
        var rule = new AlertRule
        {
            Id = "https-cpu",
            Name = "HttpsCpu",
            Kind = RuleKind.Metric,
            Severity = AlertSeverity.Warning,
            Metric = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.99 },
        };
        var saved = await api.SaveRuleAsync(rule, create: true, ct);
        Assert.True(saved.Ok, saved.Summary);
        var book = host.Services.GetRequiredService<AlertBook>();
        await Poll.UntilAsync(() => book.Rules.Any(r => r.Id == rule.Id), TimeSpan.FromSeconds(30), "the rule created through the API on the dashboard", ct);

        // The plain-http loopback listener that carries those calls serves the API only, never the pages.
        var selfCall = host.Services.GetRequiredService<DashboardOptions>().AlertingUrl!;
        Assert.StartsWith("http://127.0.0.1:", selfCall, StringComparison.Ordinal);
        using var http = new HttpClient();
        using var page = await http.GetAsync(new Uri(new Uri(selfCall), "/alerts"), ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, page.StatusCode);
    }

    [Fact]
    public async Task SecureAllInOne_SelfCallListener_RequiresTheSignedInUsersTicket()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDirectory("platform-e2e-https-secure");
        using var certificate = PublicNameCertificate("dashboard.example");
        var options = HttpsOnly(data, certificate);
        options.Secure = true;
        options.Output = TextWriter.Null;
        await using var host = await PlatformHost.StartAsync(options, ct);
        var selfCall = new Uri(host.Services.GetRequiredService<DashboardOptions>().AlertingUrl!);
        Assert.Equal("http", selfCall.Scheme);
        using var http = new HttpClient();

        // Without a ticket the API refuses as it does on the public address.
        using (var anonymous = await http.GetAsync(new Uri(selfCall, "api/rules"), ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // With the ticket the dashboard's buttons send for the signed-in admin, the call goes through.
        var admin = host.Services.GetRequiredService<Platform.Alerting.Security.UserStore>().Find("admin")!;
        var ticket = host.Services.GetRequiredService<Platform.Dashboard.Security.ApiTicket>().Issue(Platform.Alerting.Security.PlatformPrincipal.Create(admin, "test"))!;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(selfCall, "api/rules"));
        request.Headers.Add(Platform.Dashboard.Security.ApiTicket.Header, ticket);
        using var allowed = await http.SendAsync(request, ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, allowed.StatusCode);
    }

    /// <summary>The all-in-one listening on https only, with <paramref name="certificate"/>.</summary>
    private static PlatformHostOptions HttpsOnly(TempDirectory data, X509Certificate2 certificate) => new()
    {
        Urls = "https://127.0.0.1:0",
        KafkaListen = "127.0.0.1:0",
        DataDirectory = data.Path,
        HttpsCertificate = certificate,
    };

    private static X509Certificate2 PublicNameCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}
