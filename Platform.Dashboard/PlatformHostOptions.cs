namespace Platform.Dashboard;

/// <summary>How <see cref="PlatformHost"/> runs: the whole platform in one process, or the dashboard alone against a broker.</summary>
public sealed class PlatformHostOptions
{
    /// <summary>The dashboard's HTTP address(es), e.g. "http://localhost:5000"; port 0 picks a free port.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>The dashboard's address when none is given; when its port is taken a free one is used.</summary>
    public const string DefaultUrls = "http://localhost:5000";

    /// <summary>An existing broker or Kafka cluster to connect to; null = embed the broker, alerting and a local agent.</summary>
    public string? Bootstrap { get; set; }

    /// <summary>Where the embedded parts keep their data (broker log, alerting state, agent spool).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The embedded broker's Kafka listener; when its port is taken, a free port is used instead.</summary>
    public string KafkaListen { get; set; } = "127.0.0.1:9092";

    /// <summary>The local agent's collection interval.</summary>
    public TimeSpan AgentInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Security on: broker clients authenticate (SASL over TLS) and are authorised per topic, and the dashboard and its
    /// API require a login with a role. Off (the default) is meant for a first look on loopback.
    /// </summary>
    public bool Secure { get; set; }

    /// <summary>
    /// Extra names (DNS names or IP addresses) the embedded broker's certificate is issued for with <see cref="Secure"/>,
    /// so that agents on other machines can verify it: besides the listen host, localhost and 127.0.0.1. Empty and
    /// listening on 0.0.0.0 or ::, the machine's host name and its non-loopback addresses are used.
    /// </summary>
    public IList<string> TlsSubjectNames { get; } = [];

    /// <summary>Where the first start with security on prints the generated admin password (null = the console).</summary>
    public TextWriter? Output { get; set; }

    /// <summary>Environment name for the web host (Production unless set).</summary>
    public string? EnvironmentName { get; set; }

    /// <summary>Settings of the dashboard itself (its Bootstrap is filled in by the host).</summary>
    public Services.DashboardOptions Dashboard { get; set; } = new();

    /// <summary>The files (and globs) the local agent tails into the <c>logs</c> topic.</summary>
    public IList<string> AgentLogPaths { get; } = [];

    /// <summary>The command-line help.</summary>
    public const string Usage = """
        usage: dotnet run --project Platform.Dashboard [-- OPTIONS]

        With no --bootstrap, runs the whole platform in this process: the broker, alerting, an agent for
        this host and the dashboard. With --bootstrap, runs the dashboard alone against that broker or
        Kafka cluster.

          --bootstrap HOST:PORT[,HOST:PORT]  read an existing broker or Kafka cluster; embed nothing
          --urls URL                         the dashboard's address (default http://localhost:5000;
                                             a free port when that one is taken)
          --data DIR                         where the embedded parts keep their data (default ./data)
          --kafka-listen HOST:PORT           the embedded broker's Kafka listener (default 127.0.0.1:9092;
                                             a free port when that one is taken)
          --agent-interval SECONDS           the local agent's collection interval (default 1)
          --log PATH                         a file or glob the local agent tails (repeatable)
          --environment NAME                 the ASP.NET Core environment (default Production)
          --secure                           switch security on: SASL/TLS and ACLs on the broker, login
                                             and roles on the dashboard and its API
          --tls-san NAME                     with --secure: a host name or address the broker's certificate
                                             names, for agents on other machines (repeatable; default when
                                             listening on 0.0.0.0 or ::, this machine's name and addresses)
          --kafka KEY=VALUE                  a librdkafka setting for the dashboard's clients with
                                             --bootstrap (security.protocol, sasl.*, ssl.ca.location)

        Users (security on): dotnet run --project Platform.Dashboard -- users list|add|set-password|set-role|remove …
        (--help there for the details).
        """;

    /// <summary>Reads the command line: <c>--bootstrap HOST:PORT</c>, <c>--urls URL</c>, <c>--data DIR</c>, <c>--kafka-listen HOST:PORT</c>.</summary>
    /// <exception cref="ArgumentException">An unknown option or a missing or bad value, with a message saying which.</exception>
    public static PlatformHostOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new PlatformHostOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"{arg} needs a value.");
                }

                return args[++i];
            }

            switch (arg)
            {
                case "--bootstrap":
                    options.Bootstrap = Value();
                    if (!options.Bootstrap.Split(',').All(IsHostPort))
                    {
                        throw new ArgumentException($"--bootstrap: '{options.Bootstrap}' is not HOST:PORT[,HOST:PORT…].");
                    }

                    break;
                case "--urls":
                    options.Urls = Value();
                    break;
                case "--log":
                    options.AgentLogPaths.Add(Value());
                    break;
                case "--data":
                    options.DataDirectory = Value();
                    break;
                case "--kafka-listen":
                    options.KafkaListen = Value();
                    if (!IsHostPort(options.KafkaListen))
                    {
                        throw new ArgumentException($"--kafka-listen: '{options.KafkaListen}' is not HOST:PORT.");
                    }

                    break;
                case "--agent-interval":
                    var seconds = Value();
                    if (!double.TryParse(seconds, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) || s < 0.1 || s > 3600)
                    {
                        throw new ArgumentException($"--agent-interval: '{seconds}' is not a number of seconds between 0.1 and 3600.");
                    }

                    options.AgentInterval = TimeSpan.FromSeconds(s);
                    break;
                case "--secure":
                    options.Secure = true;
                    break;
                case "--kafka":
                    var setting = Value();
                    var eq = setting.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--kafka: '{setting}' is not KEY=VALUE (a librdkafka setting such as security.protocol=SASL_SSL).");
                    }

                    options.Dashboard.KafkaProperties[setting[..eq]] = setting[(eq + 1)..];
                    break;
                case "--tls-san":
                    var san = Value().Trim();
                    if (san.Length == 0 || san.Any(c => char.IsWhiteSpace(c) || c is ',' or '/' or '*'))
                    {
                        throw new ArgumentException($"--tls-san: '{san}' is not a host name or an IP address.");
                    }

                    options.TlsSubjectNames.Add(san);
                    break;
                case "--environment":
                    options.EnvironmentName = Value();
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{arg}'. Options: --bootstrap HOST:PORT, --urls URL, --data DIR, --kafka-listen HOST:PORT, --agent-interval SECONDS, --log PATH, --environment NAME, --secure, --tls-san NAME, --kafka KEY=VALUE.");
            }
        }

        return options;
    }

    private static bool IsHostPort(string value)
    {
        var colon = value.LastIndexOf(':');
        return colon > 0 && int.TryParse(value.AsSpan(colon + 1), out var port) && port is > 0 and < 65536;
    }
}
