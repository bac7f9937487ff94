namespace Platform.Agents.Cli;

/// <summary>
/// <c>platform-agent run|install|uninstall [--config FILE] [--KEY VALUE ...]</c>: every config key is also a flag
/// (<c>state_dir</c> is <c>--state-dir</c>); <c>--labels k=v k2=v2</c> takes values up to the next flag; a
/// boolean flag alone means true. install/uninstall also take <c>--config-path</c>, <c>--unit-path</c> and <c>--exec</c>.
/// </summary>
internal sealed class CommandLine
{
    private static readonly HashSet<string> InstallFlags = new(StringComparer.Ordinal) { "config_path", "unit_path", "exec", "username", "password_file", "ca_file" };
    private static readonly HashSet<string> BoolKeys = new(StringComparer.Ordinal) { "logs_from_beginning", "collect_host", "collect_containers", "network_filesystems" };

    public required string Command { get; init; }

    /// <summary>--config FILE: settings are read from it first, the flags override them.</summary>
    public string? ConfigPath { get; init; }

    public List<Setting> Settings { get; } = [];

    public Dictionary<string, string> InstallOptions { get; } = new(StringComparer.Ordinal);

    /// <exception cref="AgentConfigurationException">Unknown command or flag, or a flag without its value.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is not ("run" or "install" or "uninstall"))
        {
            throw new AgentConfigurationException(args.Count == 0 ? "missing command: run, install or uninstall (see --help)"
                : $"unknown command '{args[0]}': expected run, install or uninstall (see --help)");
        }

        string? config = null;
        var result = new List<Setting>();
        var install = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new AgentConfigurationException($"unexpected argument '{arg}': flags are --KEY VALUE (see --help)");
            }

            var flag = arg[2..];
            string? inline = null;
            var eq = flag.IndexOf('=');
            if (eq > 0 && !flag.StartsWith("label", StringComparison.Ordinal) && !flag.StartsWith("kafka", StringComparison.Ordinal))
            {
                inline = flag[(eq + 1)..];
                flag = flag[..eq];
            }

            var key = flag.Replace('-', '_');
            if (key == "labels")
            {
                var any = false;
                while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    result.Add(new Setting("label", args[++i], "--labels"));
                    any = true;
                }

                if (!any)
                {
                    throw new AgentConfigurationException("--labels needs at least one NAME=VALUE");
                }

                continue;
            }

            string value;
            if (inline is not null)
            {
                value = inline;
            }
            else if ((BoolKeys.Contains(key) || key == "password_stdin") && (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                value = "true";
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new AgentConfigurationException($"{arg} needs a value");
            }

            if (key == "config")
            {
                config = value;
            }
            else if (key == "password_stdin")
            {
                if (args[0] != "install")
                {
                    throw new AgentConfigurationException($"{arg} is for install only");
                }

                install[key] = value;
            }
            else if (InstallFlags.Contains(key))
            {
                if (args[0] == "run")
                {
                    throw new AgentConfigurationException($"{arg} is for install and uninstall only");
                }

                install[key] = value;
            }
            else if (Cli.Settings.IsKnown(key))
            {
                result.Add(new Setting(key, value, "--" + flag));
            }
            else
            {
                throw new AgentConfigurationException($"unknown flag '{arg}' (see --help)");
            }
        }

        var line = new CommandLine { Command = args[0], ConfigPath = config };
        line.Settings.AddRange(result);
        foreach (var (k, v) in install)
        {
            line.InstallOptions[k] = v;
        }

        return line;
    }

    /// <summary>The settings to run with: the config file's (when given), then the flags'. A list key given as a flag replaces the file's list.</summary>
    public List<Setting> EffectiveSettings()
    {
        var settings = ConfigPath is null ? [] : ConfigFile.Read(ConfigPath);
        var flagLists = Settings.Where(s => Cli.Settings.ListKeys.Contains(s.Key)).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        settings.RemoveAll(s => flagLists.Contains(s.Key));
        settings.AddRange(Settings);
        return settings;
    }

    public static string Usage()
    {
        var text = new System.Text.StringBuilder();
        text.Append("""
            usage: platform-agent run       [--config FILE] [--bootstrap HOST:PORT] [--labels k=v ...] [options]
                   platform-agent install   --bootstrap HOST:PORT [--labels k=v ...] [options]
                                            [--config-path /etc/platform-agent/agent.conf]
                                            [--unit-path /etc/systemd/system/platform-agent.service] [--exec PATH]
                                            [--username NAME (--password-file FILE | --password-stdin)] [--ca-file CA.pem]
                   platform-agent uninstall [--config-path ...] [--unit-path ...]

            run: collect and publish in the foreground until SIGINT/SIGTERM.
            install: write the config file (from the flags) and a systemd unit that runs it; then
                     systemctl daemon-reload && systemctl enable --now platform-agent
                     (mode 0600: the file can hold the broker password). --username with --password-file or
                     --password-stdin: SASL/SCRAM-SHA-256 over TLS (security.protocol SASL_SSL); --ca-file: the CA that
                     signed the broker's certificate (ssl.ca.location). The password is never printed or logged.
            uninstall: remove both (stop the service first: systemctl disable --now platform-agent).

            options (flag --some-key VALUE = config file line some_key = VALUE):

            """);
        foreach (var (key, value, help) in Cli.Settings.Known)
        {
            text.Append("  --").Append(key.Replace('_', '-')).Append(' ').Append(value).Append('\n');
            text.Append("        ").Append(help).Append('\n');
        }

        return text.ToString();
    }
}
