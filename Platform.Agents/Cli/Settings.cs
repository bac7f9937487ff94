using System.Globalization;
using Confluent.Kafka;

namespace Platform.Agents.Cli;

/// <summary>
/// The agent's settings as (key, value) pairs, from the config file and the command line, and how each
/// key sets <see cref="AgentOptions"/>. The command-line flag of key <c>some_key</c> is <c>--some-key</c>.
/// </summary>
internal static class Settings
{
    /// <summary>Keys that may be given many times; the others take their last value.</summary>
    public static readonly HashSet<string> ListKeys = new(StringComparer.Ordinal) { "label", "log", "scrape", "kafka" };

    /// <summary>Every key with its one-line description (README and --help).</summary>
    public static readonly (string Key, string Value, string Help)[] Known =
    [
        ("bootstrap", "HOST:PORT[,...]", "the broker (or Kafka cluster) to publish to; required unless output = null"),
        ("interval", "DURATION", "collection interval (default 1s; e.g. 500ms, 10s, 1m)"),
        ("host_id", "ID", "record key and host identity (default: the host name)"),
        ("label", "NAME=VALUE", "a label for the host inventory; repeat for more (--labels takes several)"),
        ("log", "PATH|GLOB", "a log file or glob to tail (* ? within a segment, ** across directories); repeat for more"),
        ("multiline_start", "REGEX", "a line matching this starts a log record; other lines join the previous one"),
        ("logs_from_beginning", "BOOL", "read log files found at the first start from their beginning (default false: from the end)"),
        ("scrape", "URL", "a Prometheus text endpoint to scrape every interval; repeat for more"),
        ("state_dir", "DIR", "spool and log positions (default /var/lib/platform-agent)"),
        ("spool_max_bytes", "SIZE", "bound of the on-disk spool (default 256MiB); past it the oldest batches are dropped and counted"),
        ("delivery_timeout", "DURATION", "time the Kafka client tries a batch before the spool sends it again (default 0: never give up, keeps the order)"),
        ("compression", "lz4|zstd|gzip|snappy|none", "batch compression (default lz4)"),
        ("output", "kafka|null", "null: encode and spool, send nowhere (dry run)"),
        ("metrics_listen", "HOST:PORT", "serve the agent's own /metrics and /health there (default off)"),
        ("inventory_interval", "DURATION", "how often the host inventory rides along a batch (default 1m)"),
        ("collect_host", "BOOL", "collect host metrics (default true)"),
        ("collect_containers", "BOOL", "collect container metrics from cgroups (default true)"),
        ("proc_root", "DIR", "procfs (default /proc)"),
        ("sys_root", "DIR", "sysfs (default /sys)"),
        ("rootfs", "DIR", "the host's root filesystem, for mount usage and os-release (default /)"),
        ("cgroup_root", "DIR", "cgroup filesystem (default /sys/fs/cgroup)"),
        ("docker_socket", "PATH", "Docker Engine API socket for container names (default /var/run/docker.sock; empty: none)"),
        ("network_filesystems", "BOOL", "report nfs, cifs and other network filesystems too, statvfs with a 500 ms timeout (default false)"),
        ("kafka", "KEY=VALUE", "an extra librdkafka producer setting (security.protocol, sasl.*); repeat for more"),
    ];

    private static readonly HashSet<string> KnownKeys = new(Known.Select(k => k.Key), StringComparer.Ordinal);

    public static bool IsKnown(string key) => KnownKeys.Contains(key);

    /// <summary>Builds options from settings in order (later scalar values win; lists accumulate) and validates them.</summary>
    /// <exception cref="AgentConfigurationException">Unknown keys, bad values and invalid options, all in one message.</exception>
    public static AgentOptions ToOptions(IEnumerable<Setting> settings)
    {
        var options = new AgentOptions();
        var problems = new List<string>();
        foreach (var setting in settings)
        {
            try
            {
                Apply(options, setting);
            }
            catch (FormatException e)
            {
                problems.Add($"{setting.Source}: {setting.Key}: {e.Message}");
            }
        }

        // The options' own checks too, so that one message lists every problem (a bad value above leaves its default).
        problems.AddRange(OptionsValidator.Problems(options));
        if (problems.Count > 0)
        {
            throw new AgentConfigurationException(OptionsValidator.Message(problems));
        }

        return options;
    }

    private static void Apply(AgentOptions o, Setting s)
    {
        var v = s.Value;
        switch (s.Key)
        {
            case "bootstrap": o.Bootstrap = v; break;
            case "interval": o.Interval = ParseDuration(v); break;
            case "host_id": o.HostId = v; break;
            case "label":
                var (name, value) = ParsePair(v);
                o.Labels[name] = value;
                break;
            case "log": o.LogPaths.Add(v); break;
            case "multiline_start": o.MultilineStart = v; break;
            case "logs_from_beginning": o.LogsFromBeginning = ParseBool(v); break;
            case "scrape": o.ScrapeTargets.Add(v); break;
            case "state_dir": o.StateDirectory = v; break;
            case "spool_max_bytes": o.SpoolMaxBytes = ParseSize(v); break;
            case "delivery_timeout": o.DeliveryTimeout = ParseDuration(v); break;
            case "compression": o.Compression = ParseCompression(v); break;
            case "output":
                o.Output = v switch
                {
                    "kafka" => AgentOutput.Kafka,
                    "null" => AgentOutput.Null,
                    _ => throw new FormatException($"'{v}' is not kafka or null"),
                };
                break;
            case "metrics_listen": o.MetricsListen = v.Length == 0 ? null : v; break;
            case "inventory_interval": o.InventoryInterval = ParseDuration(v); break;
            case "collect_host": o.CollectHost = ParseBool(v); break;
            case "collect_containers": o.CollectContainers = ParseBool(v); break;
            case "network_filesystems": o.NetworkFilesystems = ParseBool(v); break;
            case "proc_root": o.ProcRoot = v; break;
            case "sys_root": o.SysRoot = v; break;
            case "rootfs": o.RootFs = v; break;
            case "cgroup_root": o.CgroupRoot = v; break;
            case "docker_socket": o.DockerSocket = v; break;
            case "kafka":
                var (key, setting) = ParsePair(v);
                o.KafkaSettings[key] = setting;
                break;
            default:
                throw new FormatException($"unknown setting (known: {string.Join(", ", KnownKeys.Order(StringComparer.Ordinal))})");
        }
    }

    /// <summary>"1s", "500ms", "2m", "1h", "1.5s"; a bare number is seconds.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var t = text.Trim();
        (string Suffix, double Scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, scale) in units)
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(t.AsSpan(0, t.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
            {
                return TimeSpan.FromMilliseconds(n * scale);
            }
        }

        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        throw new FormatException($"'{text}' is not a duration (e.g. 500ms, 1s, 2m, 1h)");
    }

    /// <summary>"1048576", "64KiB", "256MiB", "1GiB", "10MB", "1GB".</summary>
    public static long ParseSize(string text)
    {
        var t = text.Trim();
        (string Suffix, long Scale)[] units = [("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)];
        foreach (var (suffix, scale) in units)
        {
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(t.AsSpan(0, t.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
            {
                return checked((long)(n * scale));
            }
        }

        if (long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
        {
            return bytes;
        }

        throw new FormatException($"'{text}' is not a size (e.g. 268435456, 256MiB, 1GiB)");
    }

    public static bool ParseBool(string text) => text.Trim().ToUpperInvariant() switch
    {
        "TRUE" or "YES" or "ON" or "1" => true,
        "FALSE" or "NO" or "OFF" or "0" => false,
        _ => throw new FormatException($"'{text}' is not true or false"),
    };

    private static CompressionType ParseCompression(string text) => text.Trim() switch
    {
        "lz4" => CompressionType.Lz4,
        "zstd" => CompressionType.Zstd,
        "gzip" => CompressionType.Gzip,
        "snappy" => CompressionType.Snappy,
        "none" => CompressionType.None,
        _ => throw new FormatException($"'{text}' is not one of lz4, zstd, gzip, snappy, none"),
    };

    private static (string Name, string Value) ParsePair(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0)
        {
            throw new FormatException($"'{text}' is not NAME=VALUE");
        }

        return (text[..eq].Trim(), text[(eq + 1)..].Trim());
    }
}

/// <summary>One setting and where it came from ("agent.conf:12", "--interval"), for error messages.</summary>
internal readonly record struct Setting(string Key, string Value, string Source);
