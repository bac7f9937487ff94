using System.Text.RegularExpressions;

namespace Platform.Agents;

/// <summary>Checks <see cref="AgentOptions"/> before anything starts, and lists every problem at once.</summary>
internal static class OptionsValidator
{
    /// <exception cref="AgentConfigurationException">One message listing every problem.</exception>
    public static void Validate(AgentOptions o)
    {
        var problems = Problems(o);
        if (problems.Count > 0)
        {
            throw new AgentConfigurationException(Message(problems));
        }
    }

    /// <summary>The one message for a list of problems.</summary>
    public static string Message(IEnumerable<string> problems) =>
        "invalid configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems);

    /// <summary>
    /// What the agent can run with but should say at start: a default path that does not exist on this host
    /// turns its part off (an explicitly configured one that does not exist is a problem instead).
    /// </summary>
    public static List<string> Warnings(AgentOptions o)
    {
        var warnings = new List<string>();
        if (o.CollectHost && o.SysRoot == AgentOptions.DefaultSysRoot && !Directory.Exists(o.SysRoot))
        {
            warnings.Add($"sys_root: '{o.SysRoot}' does not exist: disks, CPU frequency and block device details are not collected");
        }

        if (o.CollectContainers && o.CgroupRoot == AgentOptions.DefaultCgroupRoot && !Directory.Exists(o.CgroupRoot))
        {
            warnings.Add($"cgroup_root: '{o.CgroupRoot}' does not exist: container metrics are off (set cgroup_root, or collect_containers = false)");
        }

        return warnings;
    }

    /// <summary>Every problem with the options (empty when they are valid).</summary>
    public static List<string> Problems(AgentOptions o)
    {
        var problems = new List<string>();
        if (o.Output == AgentOutput.Kafka)
        {
            if (string.IsNullOrWhiteSpace(o.Bootstrap))
            {
                problems.Add("bootstrap: required (HOST:PORT of the broker), or output = null for a dry run");
            }
            else
            {
                foreach (var server in o.Bootstrap.Split(','))
                {
                    if (!IsHostPort(server.Trim()))
                    {
                        problems.Add($"bootstrap: '{server.Trim()}' is not HOST:PORT");
                    }
                }
            }
        }

        if (o.Interval < TimeSpan.FromMilliseconds(100) || o.Interval > TimeSpan.FromHours(1))
        {
            problems.Add($"interval: {o.Interval.TotalMilliseconds} ms is outside 100 ms .. 1 h");
        }

        if (o.HostId is { } hostId && (hostId.Length == 0 || hostId.Length > 255 || hostId.Any(char.IsControl)))
        {
            problems.Add("host_id: must be 1..255 printable characters");
        }

        if (o.KafkaSettings.TryGetValue("ssl.ca.location", out var ca) && o.Output == AgentOutput.Kafka)
        {
            try
            {
                Cli.CaFile.Check(ca, "kafka ssl.ca.location");
            }
            catch (AgentConfigurationException e)
            {
                problems.Add(e.Message);
            }
        }

        foreach (var (key, _) in o.Labels)
        {
            if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c == '='))
            {
                problems.Add($"labels: '{key}' is not a valid label name (non-empty, no spaces or '=')");
            }
        }

        if (string.IsNullOrWhiteSpace(o.StateDirectory))
        {
            problems.Add("state_dir: required");
        }
        else
        {
            try
            {
                Directory.CreateDirectory(o.StateDirectory);
                var probe = Path.Join(o.StateDirectory, ".write-probe");
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                problems.Add($"state_dir: '{o.StateDirectory}' is not a writable directory: {e.Message}");
            }
        }

        if (o.SpoolMaxBytes < 1024 * 1024)
        {
            problems.Add($"spool_max_bytes: {o.SpoolMaxBytes} is below the minimum of 1 MiB");
        }

        if (o.DeliveryTimeout != TimeSpan.Zero && (o.DeliveryTimeout < TimeSpan.FromSeconds(1) || o.DeliveryTimeout > TimeSpan.FromDays(1)))
        {
            problems.Add("delivery_timeout: must be 0 (never give up) or between 1 s and 1 day");
        }

        if (o.InventoryInterval < o.Interval)
        {
            problems.Add("inventory_interval: must not be shorter than interval");
        }

        if (o.MetricsListen is { } listen && !IsHostPort(listen))
        {
            problems.Add($"metrics_listen: '{listen}' is not HOST:PORT");
        }

        if (o.CollectHost && !Directory.Exists(o.ProcRoot))
        {
            problems.Add($"proc_root: '{o.ProcRoot}' is not a readable directory");
        }

        if (o.CollectHost && o.SysRoot != AgentOptions.DefaultSysRoot && !Directory.Exists(o.SysRoot))
        {
            problems.Add($"sys_root: '{o.SysRoot}' is not a readable directory");
        }

        if (o.CollectHost && !Directory.Exists(o.RootFs))
        {
            problems.Add($"rootfs: '{o.RootFs}' is not a readable directory");
        }

        if (o.CollectContainers && o.CgroupRoot != AgentOptions.DefaultCgroupRoot && !Directory.Exists(o.CgroupRoot))
        {
            problems.Add($"cgroup_root: '{o.CgroupRoot}' is not a readable directory");
        }

        if (o.CollectContainers && o.DockerSocket.Length > 0 && o.DockerSocket != AgentOptions.DefaultDockerSocket && !File.Exists(o.DockerSocket))
        {
            problems.Add($"docker_socket: '{o.DockerSocket}' does not exist (empty: no container names from Docker)");
        }

        foreach (var target in o.ScrapeTargets)
        {
            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"scrape: '{target}' is not an http(s) URL");
            }
        }

        if (o.MultilineStart is { } pattern)
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException e)
            {
                problems.Add($"multiline_start: '{pattern}' is not a valid regular expression: {e.Message}");
            }
        }

        foreach (var path in o.LogPaths)
        {
            var problem = Collectors.Logs.GlobPattern.Check(path);
            if (problem is not null)
            {
                problems.Add($"log: '{path}': {problem}");
            }
        }

        return problems;
    }

    internal static bool IsHostPort(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            return false;
        }

        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            && port is >= 0 and <= 65535
            && host.Length > 0 && !host.Any(char.IsWhiteSpace);
    }
}
