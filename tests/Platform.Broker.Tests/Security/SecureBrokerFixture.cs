using Confluent.Kafka;
using Platform.Broker.Security;
using Platform.Broker.Tests.Integration;
using Platform.TestKit;

namespace Platform.Broker.Tests.Security;

/// <summary>
/// A broker with SASL_SSL on 127.0.0.1:0: a CA and certificate generated for the test, users <c>admin</c> (a super
/// user), <c>agent</c> (Write on metrics and logs only), <c>reader</c> (Read on <c>shared*</c> and its groups).
/// </summary>
public sealed class SecureBrokerFixture : IAsyncLifetime
{
    public const string AdminPassword = "admin-secret";
    public const string AgentPassword = "agent-secret";
    public const string ReaderPassword = "reader-secret";

    private readonly TempDirectory _directory = new("secure-broker");

    public BrokerServer Broker { get; private set; } = null!;

    public CertificateAuthority Ca { get; private set; } = null!;

    public string Bootstrap => Broker.BootstrapServers;

    public string DataDirectory => _directory.Path;

    /// <summary>Options of a SASL_SSL broker on <paramref name="dataDirectory"/> with the test users and ACLs in place.</summary>
    public static BrokerOptions SecureOptions(string dataDirectory, out CertificateAuthority ca)
    {
        ca = CertificateAuthority.CreateOrLoad(Path.Combine(dataDirectory, "tls"), ["127.0.0.1"]);
        var options = BrokerFixture.Options(dataDirectory);
        options.Security.Enabled = true;
        options.Security.CertificatePath = ca.CertificatePath;
        options.Security.KeyPath = ca.KeyPath;
        options.Security.SuperUsers.Add("admin");
        options.Security.MaxFailedAuthentications = 1000;
        options.Security.FailureDelay = TimeSpan.Zero;
        var users = new CredentialStore(options.Security.CredentialsPath(dataDirectory));
        users.Set("admin", AdminPassword, 4096);
        users.Set("agent", AgentPassword, 4096);
        users.Set("reader", ReaderPassword, 4096);
        var acls = new AclStore(options.Security.AclPath(dataDirectory), []);
        acls.Add(new AclRule { Principal = "agent", ResourceType = AclResourceType.Topic, Name = "metrics", Operations = [AclOperation.Write] });
        acls.Add(new AclRule { Principal = "agent", ResourceType = AclResourceType.Topic, Name = "logs", Operations = [AclOperation.Write] });
        acls.Add(new AclRule { Principal = "reader", ResourceType = AclResourceType.Topic, Name = "shared*", Operations = [AclOperation.Read] });
        acls.Add(new AclRule { Principal = "reader", ResourceType = AclResourceType.Group, Name = "reader-*", Operations = [AclOperation.Read] });
        return options;
    }

    public async ValueTask InitializeAsync()
    {
        var options = SecureOptions(_directory.Path, out var ca);
        Ca = ca;
        Broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory());
        Broker.Log.CreateTopic("metrics", 1);
        Broker.Log.CreateTopic("logs", 1);
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        _directory.Dispose();
    }

    public ProducerConfig Producer(string user, string password, SaslMechanism mechanism = SaslMechanism.ScramSha256)
    {
        var config = BrokerFixture.ProducerConfigFor(Bootstrap);
        config.MessageTimeoutMs = 15000;
        Secure(config, user, password, mechanism);
        return config;
    }

    public ConsumerConfig Consumer(string user, string password, string groupId)
    {
        var config = BrokerFixture.ConsumerConfigFor(Bootstrap, groupId);
        Secure(config, user, password, SaslMechanism.ScramSha256);
        return config;
    }

    private void Secure(ClientConfig config, string user, string password, SaslMechanism mechanism)
    {
        config.SecurityProtocol = SecurityProtocol.SaslSsl;
        config.SaslMechanism = mechanism;
        config.SaslUsername = user;
        config.SaslPassword = password;
        config.SslCaLocation = Ca.CaCertificatePath;
    }
}

[CollectionDefinition(Name)]
public sealed class SecureBrokerCollectionDefinition : ICollectionFixture<SecureBrokerFixture>
{
    public const string Name = "secure-broker";
}
