using Platform.Broker.Metrics;
using Platform.Broker.Security;
using Platform.TestKit;

namespace Platform.Broker.Tests.Security;

public sealed class CertificateAuthorityTests : IDisposable
{
    private readonly TempDirectory _dir = new("broker-ca");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void CreateOrLoad_NamesTheConfiguredHostsAndAddresses()
    {
        var ca = CertificateAuthority.CreateOrLoad(_dir.Path, ["broker.example", "192.0.2.10"]);

        var names = CertificateAuthority.SubjectAlternativeNames(ca.CertificatePath);

        Assert.Contains("broker.example", names);
        Assert.Contains("192.0.2.10", names);
        Assert.Contains("localhost", names);
        Assert.Contains("127.0.0.1", names);
    }

    [Fact]
    public void CreateOrLoad_NewNames_IssueANewBrokerCertificate_FromTheSameCa()
    {
        var first = CertificateAuthority.CreateOrLoad(_dir.Path, ["broker.example"]);
        var caBefore = File.ReadAllText(first.CaCertificatePath);
        var certificateBefore = File.ReadAllText(first.CertificatePath);

        // The same names: nothing changes.
        CertificateAuthority.CreateOrLoad(_dir.Path, ["broker.example"]);
        Assert.Equal(certificateBefore, File.ReadAllText(first.CertificatePath));

        var second = CertificateAuthority.CreateOrLoad(_dir.Path, ["broker.example", "kafka.internal", "198.51.100.7"]);

        Assert.Equal(caBefore, File.ReadAllText(second.CaCertificatePath));
        Assert.NotEqual(certificateBefore, File.ReadAllText(second.CertificatePath));
        var names = CertificateAuthority.SubjectAlternativeNames(second.CertificatePath);
        Assert.Contains("kafka.internal", names);
        Assert.Contains("198.51.100.7", names);
        using var caCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(caBefore);
        using var broker = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(second.CertificatePath, second.KeyPath);
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
        chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(caCertificate);
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        Assert.True(chain.Build(broker));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(second.KeyPath));
        }
    }

    [Theory]
    [InlineData("0.0.0.0:9092", true)]
    [InlineData("[::]:9092", true)]
    [InlineData("192.0.2.1:9092", true)]
    [InlineData("127.0.0.1:9092", false)]
    [InlineData("localhost:9092", false)]
    [InlineData("[::1]:9092", false)]
    public void Create_SecurityOff_WarnsWhenTheListenerIsNotLoopback(string listen, bool warned)
    {
        var logs = new CapturingLoggerFactory();
        var options = new BrokerOptions { DataDirectory = _dir.Path, Listen = listen };

        Assert.Null(BrokerSecurity.Create(options, new BrokerMetrics(), logs));

        Assert.Equal(warned, logs.Messages.Any(m => m.Contains("security is off", StringComparison.Ordinal)));
    }
}
