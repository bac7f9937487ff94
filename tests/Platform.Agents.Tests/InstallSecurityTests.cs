using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Platform.Agents.Cli;
using Platform.TestKit;

namespace Platform.Agents.Tests;

public sealed class InstallSecurityTests : IDisposable
{
    private readonly TempDirectory _dir = new("agent-install-sec");

    public void Dispose() => _dir.Dispose();

    private string WriteCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test CA", key, HashAlgorithmName.SHA256);
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Join(_dir.Path, "ca.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        return path;
    }

    private CommandLine Install(params string[] extra) => CommandLine.Parse(
    [
        "install", "--bootstrap", "broker.example:9093", "--state-dir", Path.Join(_dir.Path, "state"),
        "--config-path", Path.Join(_dir.Path, "etc", "agent.conf"), "--unit-path", Path.Join(_dir.Path, "unit.service"), .. extra,
    ]);

    [Fact]
    public void Install_WithCredentialsAndCa_WritesSaslSslSettingsInAnOwnerOnlyFile_AndNeverPrintsThePassword()
    {
        var passwordFile = Path.Join(_dir.Path, "pw");
        File.WriteAllText(passwordFile, "agent-pa55word\n");
        var ca = WriteCa();

        var output = Installer.Install(Install("--username", "agent", "--password-file", passwordFile, "--ca-file", ca));

        var configPath = Path.Join(_dir.Path, "etc", "agent.conf");
        Assert.DoesNotContain(output, l => l.Contains("pa55word", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configPath));
        }

        var options = Settings.ToOptions(CommandLine.Parse(["run", "--config", configPath]).EffectiveSettings());
        Assert.Equal("SASL_SSL", options.KafkaProperties["security.protocol"]);
        Assert.Equal("SCRAM-SHA-256", options.KafkaProperties["sasl.mechanism"]);
        Assert.Equal("agent", options.KafkaProperties["sasl.username"]);
        Assert.Equal("agent-pa55word", options.KafkaProperties["sasl.password"]);
        Assert.Equal(ca, options.KafkaProperties["ssl.ca.location"]);
        options.Validate();
        Assert.DoesNotContain("pa55word", CommandLine.Usage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Install_PasswordFromStdin_IsStored()
    {
        var line = Install("--username", "agent", "--password-stdin");

        var settings = Installer.SecuritySettings(line, new StringReader("from-stdin\n"));

        Assert.Contains(settings, s => s.Key == "kafka" && s.Value == "sasl.password=from-stdin");
    }

    [Fact]
    public void Install_MissingOrBadCaFile_IsAClearError_AndWritesNothing()
    {
        var missing = Assert.Throws<AgentConfigurationException>(() => Installer.Install(Install("--ca-file", Path.Join(_dir.Path, "nope.pem"))));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);

        var bad = Path.Join(_dir.Path, "bad.pem");
        File.WriteAllText(bad, "not a certificate");
        var invalid = Assert.Throws<AgentConfigurationException>(() => Installer.Install(Install("--ca-file", bad)));
        Assert.Contains("PEM", invalid.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Join(_dir.Path, "etc", "agent.conf")));
    }

    [Fact]
    public void Install_UsernameWithoutPassword_IsRefused()
    {
        Assert.Throws<AgentConfigurationException>(() => Installer.Install(Install("--username", "agent")));
        Assert.Throws<AgentConfigurationException>(() => CommandLine.Parse(["run", "--password-stdin"]));
    }

    [Fact]
    public void Run_WithAMissingCaLocation_FailsValidationWithTheReason()
    {
        var ex = Assert.Throws<AgentConfigurationException>(() => Settings.ToOptions(
            [new Setting("bootstrap", "127.0.0.1:9092", "test"), new Setting("kafka", "ssl.ca.location=/nonexistent/ca.pem", "test")]));

        Assert.Contains("/nonexistent/ca.pem", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_NotAsRoot_WarnsThatTheFileBelongsToTheCurrentUser()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file ownership");
        var output = Installer.Install(Install(), privileged: false);

        Assert.Contains(output, l => l.StartsWith("warning: not running as root", StringComparison.Ordinal) && l.Contains("0600", StringComparison.Ordinal));
    }

    [Fact]
    public void Install_AsRoot_MakesRootTheOwner()
    {
        Assert.SkipUnless(!OperatingSystem.IsWindows() && Environment.IsPrivilegedProcess, "needs root");
        var configPath = Path.Join(_dir.Path, "etc", "agent.conf");

        var output = Installer.Install(Install(), privileged: true);

        Assert.DoesNotContain(output, l => l.StartsWith("warning", StringComparison.Ordinal));
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u:%g %a", configPath]) { RedirectStandardOutput = true })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.Equal("0:0 600", owner);
    }

    [Fact]
    public async Task AgentRun_WithCredentials_NeverLogsThePassword_RightOrWrong()
    {
        var ct = TestContext.Current.CancellationToken;
        const string Right = "agent-right-pa55word";
        const string Wrong = "agent-wrong-pa55word";
        var ca = Platform.Broker.Security.CertificateAuthority.CreateOrLoad(Path.Join(_dir.Path, "tls"), ["127.0.0.1"]);
        var brokerOptions = new Platform.Broker.BrokerOptions { Listen = "127.0.0.1:0", DataDirectory = Path.Join(_dir.Path, "broker"), AutoCreateTopics = true };
        brokerOptions.Security.Enabled = true;
        brokerOptions.Security.CertificatePath = ca.CertificatePath;
        brokerOptions.Security.KeyPath = ca.KeyPath;
        brokerOptions.Security.SuperUsers.Add("agent");
        brokerOptions.Security.FailureDelay = TimeSpan.Zero;
        brokerOptions.Security.MaxFailedAuthentications = 0;
        Platform.Broker.Security.SecurityFiles.SetUser(brokerOptions, "agent", Right);
        await using var broker = await Platform.Broker.BrokerServer.StartAsync(brokerOptions, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, ct);

        foreach (var (password, name) in new[] { (Right, "right"), (Wrong, "wrong") })
        {
            var logs = new CapturingLoggerFactory();
            var options = new AgentOptions
            {
                Bootstrap = broker.BootstrapServers,
                Interval = TimeSpan.FromMilliseconds(200),
                HostId = "secure-host-" + name,
                StateDirectory = Path.Join(_dir.Path, "state-" + name),
                DockerSocket = "", // no Docker names (a configured socket must exist)
                KafkaSettings =
                {
                    ["security.protocol"] = "SASL_SSL",
                    ["sasl.mechanism"] = "SCRAM-SHA-256",
                    ["sasl.username"] = "agent",
                    ["sasl.password"] = password,
                    ["ssl.ca.location"] = ca.CaCertificatePath,
                    ["debug"] = "security,broker",
                },
            };
            await using (var agent = await Agent.StartAsync(options, logs, ct))
            {
                if (password == Right)
                {
                    await Poll.UntilAsync(() => agent.Counters.BatchesPublished >= 1, TimeSpan.FromSeconds(30), "a batch published with the right password", ct);
                }
                else
                {
                    await Poll.UntilAsync(
                        () => logs.Messages.Any(m => m.Contains("uthentication", StringComparison.Ordinal)),
                        TimeSpan.FromSeconds(30), "the authentication failure logged", ct);
                }
            }

            Assert.NotEmpty(logs.Messages);
            Assert.DoesNotContain(logs.Messages, m => m.Contains("pa55word", StringComparison.Ordinal));
        }
    }

    private sealed class CapturingLoggerFactory : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Messages { get; } = new();

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));
    }
}
