using System.Security.Cryptography;
using System.Text.Json;
using Platform.Broker;
using Platform.Broker.Security;
using Platform.Telemetry;

namespace Platform.Dashboard;

/// <summary>
/// <c>--secure</c> for the embedded broker and its clients: a private CA and broker certificate, the principals
/// <c>agent</c>, <c>alerting</c> and <c>dashboard</c> with random passwords (kept 0600 under the data directory and
/// reused on restart), their ACLs, and the librdkafka settings (SASL_SSL, SCRAM-SHA-256) each embedded part connects with.
/// </summary>
public sealed partial class PlatformHost
{
    /// <summary>The librdkafka settings of each embedded principal.</summary>
    private sealed record SecureClients(Dictionary<string, string> Agent, Dictionary<string, string> Alerting, Dictionary<string, string> Dashboard);

    private static readonly string[] ClientPrincipals = ["agent", "alerting", "dashboard"];

    /// <summary>Turns security on in <paramref name="broker"/> and provisions the principals; returns their client settings.</summary>
    private static SecureClients PrepareSecureBroker(BrokerOptions broker, string dataDirectory, string listenHost, IEnumerable<string> subjectNames, ILogger logger)
    {
        var names = CertificateNames(listenHost, subjectNames);
        var ca = CertificateAuthority.CreateOrLoad(Path.Combine(dataDirectory, "tls"), names);
        broker.Security.Enabled = true;
        broker.Security.CertificatePath = ca.CertificatePath;
        broker.Security.KeyPath = ca.KeyPath;

        var passwordsPath = Path.Combine(dataDirectory, "security", "client-passwords.json");
        var passwords = File.Exists(passwordsPath)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(passwordsPath)) ?? []
            : [];
        var changed = false;
        foreach (var principal in ClientPrincipals)
        {
            if (!passwords.TryGetValue(principal, out var password))
            {
                password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
                passwords[principal] = password;
                changed = true;
            }

            if (changed || !SecurityFiles.HasUser(broker, principal))
            {
                SecurityFiles.SetUser(broker, principal, password);
            }
        }

        if (changed)
        {
            SecurityFiles.WriteSecret(passwordsPath, JsonSerializer.Serialize(passwords));
        }

        // agent: produce metrics and logs only.
        Allow(broker, "agent", AclResourceType.Topic, Topics.Metrics, AclOperation.Write);
        Allow(broker, "agent", AclResourceType.Topic, Topics.Logs, AclOperation.Write);
        // alerting: reads the telemetry and its own topics, writes alerts, rules and silences, creates the topics it needs.
        foreach (var topic in new[] { Topics.Metrics, Topics.Logs })
        {
            Allow(broker, "alerting", AclResourceType.Topic, topic, AclOperation.Read, AclOperation.Create);
        }

        foreach (var topic in new[] { Topics.AlertRules, Topics.Alerts, Topics.Silences, Platform.Telemetry.Alerts.AlertTopics.Channels })
        {
            Allow(broker, "alerting", AclResourceType.Topic, topic, AclOperation.Read, AclOperation.Write, AclOperation.Create);
        }

        Allow(broker, "alerting", AclResourceType.Group, "platform-alerting*", AclOperation.Read);
        Allow(broker, "alerting", AclResourceType.Group, "alerting-*", AclOperation.Read);
        // dashboard: reads what it shows (its UI writes rules, silences and channels through the alerting API, not to the
        // broker); describes groups for the broker view.
        foreach (var topic in new[] { Topics.Metrics, Topics.Logs, Topics.Alerts, Topics.AlertRules, Topics.Silences })
        {
            Allow(broker, "dashboard", AclResourceType.Topic, topic, AclOperation.Read);
        }

        Allow(broker, "dashboard", AclResourceType.Group, "platform-dashboard*", AclOperation.Read);
        Allow(broker, "dashboard", AclResourceType.Group, "*", AclOperation.Describe);

        Dictionary<string, string> Client(string principal) => new(StringComparer.Ordinal)
        {
            ["security.protocol"] = "SASL_SSL",
            ["sasl.mechanism"] = "SCRAM-SHA-256",
            ["sasl.username"] = principal,
            ["sasl.password"] = passwords[principal],
            ["ssl.ca.location"] = ca.CaCertificatePath,
        };

        var certificateNames = string.Join(", ", CertificateAuthority.SubjectAlternativeNames(ca.CertificatePath));
        LogSecureBroker(logger, ca.CaCertificatePath, passwordsPath, certificateNames);
        return new SecureClients(Client("agent"), Client("alerting"), Client("dashboard"));
    }

    /// <summary>
    /// The names the broker certificate must carry: the listen host (unless a wildcard address), the configured
    /// <c>--tls-san</c> names, and — listening on every address with none configured — this machine's host name and its
    /// non-loopback addresses. localhost and 127.0.0.1 are always added by the CA.
    /// </summary>
    internal static IReadOnlyList<string> CertificateNames(string listenHost, IEnumerable<string> subjectNames)
    {
        var names = new List<string>();
        var wildcard = listenHost is "" or "0.0.0.0" or "::" or "*" or "+";
        if (!wildcard)
        {
            names.Add(listenHost);
        }

        names.AddRange(subjectNames);
        if (wildcard && names.Count == 0)
        {
            names.Add(System.Net.Dns.GetHostName());
            foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != System.Net.NetworkInformation.OperationalStatus.Up)
                {
                    continue;
                }

                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var address = unicast.Address;
                    if (!System.Net.IPAddress.IsLoopback(address) && !address.IsIPv6LinkLocal)
                    {
                        names.Add(address.ToString());
                    }
                }
            }
        }

        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Applies the principal's settings to a component's KafkaProperties.</summary>
    private static void ApplyKafka(IDictionary<string, string> target, Dictionary<string, string>? settings)
    {
        foreach (var (key, value) in settings ?? [])
        {
            target[key] = value;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka listener is SASL_SSL (SCRAM-SHA-256): clients trust {CaFile}; its certificate names {Names} (add more with --tls-san); the agent, alerting and dashboard passwords are in {PasswordsFile}")]
    private static partial void LogSecureBroker(ILogger logger, string caFile, string passwordsFile, string names);

    private static void Allow(BrokerOptions broker, string principal, AclResourceType type, string name, params AclOperation[] operations) =>
        SecurityFiles.Allow(broker, new AclRule { Principal = principal, ResourceType = type, Name = name, Operations = operations });
}
