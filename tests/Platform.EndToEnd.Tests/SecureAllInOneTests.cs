using System.Collections.Concurrent;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Platform.Dashboard;
using Platform.Dashboard.Services;
using Platform.TestKit;

namespace Platform.EndToEnd.Tests;

/// <summary>The all-in-one host with <c>--secure</c>: the broker is SASL_SSL with per-part principals and ACLs.</summary>
public sealed class SecureAllInOneTests(SecureAllInOneFixture fixture) : IClassFixture<SecureAllInOneFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private ConsumerConfig As(string principal, string groupId)
    {
        var passwords = JsonSerializer.Deserialize<Dictionary<string, string>>(
            File.ReadAllText(Path.Combine(fixture.DataDirectory, "broker", "security", "client-passwords.json")))!;
        return new ConsumerConfig
        {
            BootstrapServers = fixture.Host.Bootstrap,
            BrokerAddressFamily = BrokerAddressFamily.V4,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SecurityProtocol = SecurityProtocol.SaslSsl,
            SaslMechanism = SaslMechanism.ScramSha256,
            SaslUsername = principal,
            SaslPassword = passwords[principal],
            SslCaLocation = Path.Combine(fixture.DataDirectory, "broker", "tls", "ca.pem"),
        };
    }

    [Fact]
    public async Task Secure_LocalAgentData_ReachesTheDashboard_OverSaslSsl()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = fixture.Host.Services.GetRequiredService<FleetModel>();

        await Poll.UntilAsync(() => fixture.Host.LocalHostId is { } id && model.Find(id) is not null, Deadline, "the local agent's host in the dashboard", ct);

        if (!OperatingSystem.IsWindows())
        {
            var secrets = Path.Combine(fixture.DataDirectory, "broker", "security", "client-passwords.json");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secrets));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(fixture.DataDirectory, "broker", "tls", "broker.key")));
        }
    }

    [Fact]
    public async Task Secure_PlaintextClient_GetsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var errors = new ConcurrentQueue<Error>();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.Host.Bootstrap, BrokerAddressFamily = BrokerAddressFamily.V4 })
            .SetErrorHandler((_, e) => errors.Enqueue(e))
            .SetLogHandler((_, _) => { })
            .Build();

        Assert.Throws<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(3)));
        await Poll.UntilAsync(() => !errors.IsEmpty, Deadline, "a client error", ct);
    }

    [Fact]
    public async Task Secure_AgentPrincipal_CannotReadMetrics_ButTheDashboardPrincipalCan()
    {
        var ct = TestContext.Current.CancellationToken;
        var model = fixture.Host.Services.GetRequiredService<FleetModel>();
        await Poll.UntilAsync(() => model.Records > 0, Deadline, "records flowing", ct);

        using (var dashboard = new ConsumerBuilder<Ignore, byte[]>(As("dashboard", "platform-dashboard-e2e")).SetLogHandler((_, _) => { }).Build())
        {
            dashboard.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("metrics", p, Offset.Beginning)));
            ConsumeResult<Ignore, byte[]>? read = null;
            await Poll.UntilAsync(() => (read = dashboard.Consume(TimeSpan.FromMilliseconds(200))) is not null, Deadline, "a metrics record read as the dashboard", ct);
            Assert.NotNull(read!.Message);
        }

        using var agent = new ConsumerBuilder<Ignore, byte[]>(As("agent", "agent-snoops")).SetLogHandler((_, _) => { }).Build();
        agent.Subscribe("metrics");
        ConsumeException? refused = null;
        await Poll.UntilAsync(() =>
        {
            try
            {
                Assert.Null(agent.Consume(TimeSpan.FromMilliseconds(200))?.Message);
            }
            catch (ConsumeException ex)
            {
                refused = ex;
            }

            return refused is not null;
        }, Deadline, "the agent principal refused", ct);
        Assert.Contains(refused!.Error.Code, new[] { ErrorCode.GroupAuthorizationFailed, ErrorCode.TopicAuthorizationFailed });
    }

    [Fact]
    public async Task Secure_Restart_ReusesTheCaAndThePasswords()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TempDirectory("platform-e2e-secure-restart");
        var options = new PlatformHostOptions { Urls = "http://127.0.0.1:0", KafkaListen = "127.0.0.1:0", DataDirectory = data.Path, Secure = true };
        var passwordsPath = Path.Combine(data.Path, "broker", "security", "client-passwords.json");
        var caPath = Path.Combine(data.Path, "broker", "tls", "ca.pem");
        string passwords, ca;
        await using (var first = await PlatformHost.StartAsync(options, ct))
        {
            passwords = await File.ReadAllTextAsync(passwordsPath, ct);
            ca = await File.ReadAllTextAsync(caPath, ct);
        }

        // Restarted with a name for agents elsewhere: a new broker certificate that names it, from the same CA.
        var again = new PlatformHostOptions { Urls = "http://127.0.0.1:0", KafkaListen = "127.0.0.1:0", DataDirectory = data.Path, Secure = true };
        again.TlsSubjectNames.Add("platform.example");
        await using var second = await PlatformHost.StartAsync(again, ct);
        var model = second.Services.GetRequiredService<FleetModel>();

        Assert.Equal(passwords, await File.ReadAllTextAsync(passwordsPath, ct));
        Assert.Equal(ca, await File.ReadAllTextAsync(caPath, ct));
        Assert.Contains("platform.example", Platform.Broker.Security.CertificateAuthority.SubjectAlternativeNames(Path.Combine(data.Path, "broker", "tls", "broker.pem")));
        await Poll.UntilAsync(() => second.LocalHostId is { } id && model.Find(id) is not null, Deadline, "the agent publishing after the restart", ct);
    }
}
