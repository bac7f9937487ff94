using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Dashboard.Security;

namespace Platform.Dashboard.Tests.Security;

public class ExposureWarningTests
{
    [Theory]
    [InlineData("http://0.0.0.0:5000", true)]
    [InlineData("http://[::]:5000", true)]
    [InlineData("http://+:5000", true)]
    [InlineData("http://192.0.2.4:5000", true)]
    [InlineData("http://dashboard.example:5000", true)]
    [InlineData("https://0.0.0.0:5001", false)]
    [InlineData("http://127.0.0.1:5000", false)]
    [InlineData("http://localhost:5000", false)]
    [InlineData("http://[::1]:5000", false)]
    public void PlainHttpWarning_WarnsForPlainHttpBeyondLoopback(string address, bool warned)
    {
        var logger = new CapturingLogger();
        var server = new FakeServer(address);

        new PlainHttpWarning(server, new FakeLifetime(), logger).Check();

        Assert.Equal(warned, logger.Messages.Any(m => m.Contains("passwords and session cookies cross the network unencrypted", StringComparison.Ordinal)));
    }

    [Fact]
    public void CertificateNames_OnEveryAddress_NameThisMachine_UnlessNamesAreGiven()
    {
        var wildcard = PlatformHost.CertificateNames("0.0.0.0", []);
        Assert.Contains(System.Net.Dns.GetHostName(), wildcard);
        Assert.DoesNotContain("0.0.0.0", wildcard);

        Assert.Equal(["broker.example", "192.0.2.7"], PlatformHost.CertificateNames("::", ["broker.example", "192.0.2.7"]));
        Assert.Equal(["10.1.2.3", "broker.example"], PlatformHost.CertificateNames("10.1.2.3", ["broker.example"]));
    }

    [Fact]
    public void Parse_TlsSan_IsRepeatable_AndRejectsAList()
    {
        var options = PlatformHostOptions.Parse(["--secure", "--tls-san", "broker.example", "--tls-san", "192.0.2.7"]);
        Assert.Equal(["broker.example", "192.0.2.7"], options.TlsSubjectNames);
        Assert.Throws<ArgumentException>(() => PlatformHostOptions.Parse(["--tls-san", "a.example,b.example"]));
    }

    private sealed class FakeServer : IServer
    {
        public FakeServer(string address)
        {
            var addresses = new ServerAddressesFeature();
            addresses.Addresses.Add(address);
            Features.Set<IServerAddressesFeature>(addresses);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();

        public void Dispose()
        {
        }

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class FakeLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }

    private sealed class CapturingLogger : ILogger<PlainHttpWarning>
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception));
    }
}
