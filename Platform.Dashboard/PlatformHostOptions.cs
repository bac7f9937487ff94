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

    /// <summary>
    /// The certificate the dashboard's https addresses present; null = Kestrel's configuration
    /// (<c>Kestrel:Certificates:Default</c>, e.g. the environment variables <c>Kestrel__Certificates__Default__Path</c> and <c>__KeyPath</c>).
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? HttpsCertificate { get; set; }

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
          --alerting-url URL                 the alerting REST API the dashboard's actions call (with
                                             --bootstrap; also Dashboard__AlertingUrl in the environment).
                                             Embedded: this process' own loopback address. Without it,
                                             --bootstrap shows alerts, rules and channels read-only
          --tls-san NAME                     with --secure: a host name or address the broker's certificate
                                             names, for agents on other machines (repeatable; default when
                                             listening on 0.0.0.0 or ::, this machine's name and addresses)
          --kafka KEY=VALUE                  a librdkafka setting for the dashboard's clients with
                                             --bootstrap (security.protocol, sasl.*, ssl.ca.location)
          --kafka-file FILE                  librdkafka settings from a file, KEY=VALUE per line (# comments);
                                             keep secrets such as sasl.password there (mode 0600), not on the
                                             command line, which other users of the machine can read
                                             Environment: PLATFORM_KAFKA__<KEY>=VALUE, the key's dots written
                                             as underscores (PLATFORM_KAFKA__SASL_PASSWORD=…); the file and
                                             then --kafka override it

        Users (security on): dotnet run --project Platform.Dashboard -- users list|add|set-password|set-role|remove …
        (--help there for the details).
        """;

    /// <summary>The prefix of environment variables that carry librdkafka settings for the dashboard's clients.</summary>
    public const string KafkaEnvironmentPrefix = "PLATFORM_KAFKA__";

    /// <summary>
    /// Reads the command line (<c>--bootstrap HOST:PORT</c>, <c>--urls URL</c>, <c>--data DIR</c>, …) and the
    /// <see cref="KafkaEnvironmentPrefix"/> variables of <paramref name="environment"/> (default: the process's).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown option or a missing or bad value, with a message saying which (never a setting's value).</exception>
    public static PlatformHostOptions Parse(IReadOnlyList<string> args, System.Collections.IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new PlatformHostOptions();
        environment ??= Environment.GetEnvironmentVariables();
        foreach (System.Collections.DictionaryEntry variable in environment)
        {
            if (variable.Key is string name && name.StartsWith(KafkaEnvironmentPrefix, StringComparison.OrdinalIgnoreCase)
                && name.Length > KafkaEnvironmentPrefix.Length && variable.Value is string value)
            {
                options.Dashboard.KafkaProperties[name[KafkaEnvironmentPrefix.Length..].ToLowerInvariant().Replace('_', '.')] = value;
            }
        }

        // The file's settings, then --kafka's, override the environment's whatever their order on the line.
        var fileSettings = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineSettings = new Dictionary<string, string>(StringComparer.Ordinal);
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
                        // Not echoed: a mistyped setting may be a password.
                        throw new ArgumentException("--kafka: the value is not KEY=VALUE (a librdkafka setting such as security.protocol=SASL_SSL).");
                    }

                    lineSettings[setting[..eq].Trim()] = setting[(eq + 1)..];
                    break;
                case "--kafka-file":
                    ReadKafkaFile(Value(), fileSettings);
                    break;
                case "--tls-san":
                    var san = Value().Trim();
                    if (san.Length == 0 || san.Any(c => char.IsWhiteSpace(c) || c is ',' or '/' or '*'))
                    {
                        throw new ArgumentException($"--tls-san: '{san}' is not a host name or an IP address.");
                    }

                    options.TlsSubjectNames.Add(san);
                    break;
                case "--alerting-url":
                    var url = Value();
                    if (!Uri.TryCreate(url, UriKind.Absolute, out var parsedUrl) || parsedUrl.Scheme is not ("http" or "https"))
                    {
                        throw new ArgumentException($"--alerting-url: '{url}' is not an http(s) URL such as http://alerting-1:8080/.");
                    }

                    options.Dashboard.AlertingUrl = url;
                    break;
                case "--environment":
                    options.EnvironmentName = Value();
                    break;
                default:
                    // A stray KEY=VALUE may be a password: only its key is shown.
                    var shown = arg.Contains('=', StringComparison.Ordinal) ? arg[..arg.IndexOf('=', StringComparison.Ordinal)] + "=…" : arg;
                    throw new ArgumentException($"Unknown option '{shown}'. Options: --bootstrap HOST:PORT, --urls URL, --data DIR, --kafka-listen HOST:PORT, --agent-interval SECONDS, --log PATH, --environment NAME, --secure, --tls-san NAME, --kafka KEY=VALUE, --kafka-file FILE, --alerting-url URL.");
            }
        }

        foreach (var (key, value) in fileSettings.Concat(lineSettings))
        {
            options.Dashboard.KafkaProperties[key] = value;
        }

        return options;
    }

    // KEY=VALUE per line; blank lines and lines starting with # are skipped. Errors name the line, never its content.
    private static void ReadKafkaFile(string path, Dictionary<string, string> settings)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--kafka-file: cannot read '{path}': {e.Message}", e);
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--kafka-file: line {i + 1} of '{path}' is not KEY=VALUE.");
            }

            settings[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }
    }

    private static bool IsHostPort(string value)
    {
        var colon = value.LastIndexOf(':');
        return colon > 0 && int.TryParse(value.AsSpan(colon + 1), out var port) && port is > 0 and < 65536;
    }
}
