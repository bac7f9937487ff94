using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Broker.Metrics;
using Platform.Broker.Security;

namespace Platform.Bench.Broker;

/// <summary>
/// The broker's security costs: the per-request ACL check (cached per connection and resource: must not allocate), the
/// server side of a SCRAM-SHA-256 exchange, and a PLAIN check (one PBKDF2 derivation).
/// Run: <c>dotnet run -c Release --project bench/Platform.Bench -- micro --filter *SecurityBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class SecurityBenchmarks
{
    private const string Nonce = "server-nonce";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"security-bench-{Guid.NewGuid():N}");
    private BrokerSecurity _security = null!;
    private ConnectionSession _session = null!;
    private ScramCredential _credential = null!;
    private byte[] _clientFirst = [];
    private byte[] _clientFinal = [];
    private byte[] _plain = [];

    [GlobalSetup]
    public void Setup()
    {
        var options = new BrokerOptions { DataDirectory = _directory };
        options.Security.Enabled = true;
        SecurityFiles.Allow(options, new AclRule { Principal = "agent", ResourceType = AclResourceType.Topic, Name = "metrics", Operations = [AclOperation.Write] });
        SecurityFiles.Allow(options, new AclRule { Principal = "agent", ResourceType = AclResourceType.Topic, Name = "logs*", Operations = [AclOperation.Write] });
        _security = BrokerSecurity.Create(options, new BrokerMetrics(), NullLoggerFactory.Instance)!;
        _session = new ConnectionSession(_security);
        _session.Authenticated("agent");
        _session.IsAllowed(AclResourceType.Topic, "metrics", AclOperation.Write);

        // A client's side of SCRAM for user "agent", password "pw", against the fixed server nonce.
        _credential = ScramSha256.DeriveCredential("pw", RandomNumberGenerator.GetBytes(24), 4096);
        const string clientFirstBare = "n=agent,r=client";
        _clientFirst = Encoding.UTF8.GetBytes("n,," + clientFirstBare);
        var serverFirst = $"r=client{Nonce},s={Convert.ToBase64String(_credential.Salt)},i=4096";
        var withoutProof = $"c=biws,r=client{Nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{clientFirstBare},{serverFirst},{withoutProof}");
        Span<byte> salted = stackalloc byte[32];
        ScramSha256.SaltedPassword("pw", _credential.Salt, 4096, salted);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var signature = HMACSHA256.HashData(SHA256.HashData(clientKey), authMessage);
        for (var i = 0; i < signature.Length; i++)
        {
            signature[i] ^= clientKey[i];
        }

        _clientFinal = Encoding.UTF8.GetBytes($"{withoutProof},p={Convert.ToBase64String(signature)}");
        _plain = Encoding.UTF8.GetBytes("\0agent\0pw");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _security.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "ACL check, cached (per request and topic)")]
    public bool AuthorizeCached() => _session.IsAllowed(AclResourceType.Topic, "metrics", AclOperation.Write);

    [Benchmark(Description = "SCRAM-SHA-256 exchange, server side")]
    public bool ScramExchange()
    {
        var exchange = new ScramServerExchange(_ => _credential, Nonce);
        exchange.Step(_clientFirst);
        return exchange.Step(_clientFinal).Complete;
    }

    [Benchmark(Description = "PLAIN check (PBKDF2, 4096 iterations)")]
    public bool PlainCheck() => PlainAuthenticator.Authenticate(_plain, _ => _credential).Complete;
}
