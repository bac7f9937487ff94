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
}
