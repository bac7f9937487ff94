using System.Runtime.InteropServices;
using System.Text;

namespace Platform.Agents.Cli;

/// <summary>
/// <c>install</c> writes the config file from the given settings and a systemd unit that runs
/// <c>platform-agent run --config FILE</c>; <c>uninstall</c> removes both. Paths are overridable so it can be
/// run (and tested) anywhere; systemctl is left to the operator (the commands are printed).
/// </summary>
internal static partial class Installer
{
    public const string DefaultUnitPath = "/etc/systemd/system/platform-agent.service";

    /// <returns>Lines to print.</returns>
    /// <exception cref="AgentConfigurationException">The settings are invalid, or a file cannot be written.</exception>
    public static List<string> Install(CommandLine line) => Install(line, Environment.IsPrivilegedProcess);

    /// <param name="line">The install command line.</param>
    /// <param name="privileged">Running as root: the config file is then owned by root:root.</param>
    internal static List<string> Install(CommandLine line, bool privileged)
    {
        ArgumentNullException.ThrowIfNull(line);
        var configPath = line.InstallOptions.GetValueOrDefault("config_path", ConfigFile.DefaultPath);
        var unitPath = line.InstallOptions.GetValueOrDefault("unit_path", DefaultUnitPath);
        var exec = line.InstallOptions.GetValueOrDefault("exec") ?? DefaultExec();

        var settings = line.EffectiveSettings();
        settings.AddRange(SecuritySettings(line));
        var options = Settings.ToOptions(settings);
        options.Validate();

        var unit = Unit(exec, configPath);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(configPath)!);
            Directory.CreateDirectory(Path.GetDirectoryName(unitPath)!);
            WriteOwnerOnly(configPath, ConfigFile.Format(settings));
            if (privileged && !OperatingSystem.IsWindows() && Native.Chown(configPath, 0, 0) != 0)
            {
                throw new IOException($"cannot make root:root the owner of {configPath} (errno {Marshal.GetLastPInvokeError()})");
            }

            File.WriteAllText(unitPath, unit);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"install failed: {e.Message}", e);
        }

        var output = new List<string> { $"wrote {configPath}" };
        if (!privileged && !OperatingSystem.IsWindows())
        {
            output.Add($"warning: not running as root, so {configPath} belongs to {Environment.UserName} and is readable by that user only (mode 0600); "
                + "install as root (sudo) for a file only root can read");
        }

        output.Add($"wrote {unitPath}");
        output.Add("start it with: systemctl daemon-reload && systemctl enable --now platform-agent");
        return output;
    }

    /// <summary>
    /// The Kafka settings from --username, --password-file/--password-stdin and --ca-file: SASL/SCRAM-SHA-256 over TLS.
    /// Security settings given with --kafka win (they come later in the list).
    /// </summary>
    internal static List<Setting> SecuritySettings(CommandLine line, TextReader? stdin = null)
    {
        var o = line.InstallOptions;
        var result = new List<Setting>();
        var username = o.GetValueOrDefault("username");
        var passwordFile = o.GetValueOrDefault("password_file");
        var passwordStdin = o.GetValueOrDefault("password_stdin") == "true";
        var caFile = o.GetValueOrDefault("ca_file");
        if (username is null && (passwordFile is not null || passwordStdin))
        {
            throw new AgentConfigurationException("--password-file and --password-stdin need --username");
        }

        if (username is not null)
        {
            if ((passwordFile is null) == !passwordStdin)
            {
                throw new AgentConfigurationException("--username needs exactly one of --password-file FILE or --password-stdin");
            }

            string password;
            try
            {
                password = passwordFile is not null ? File.ReadAllText(passwordFile) : (stdin ?? Console.In).ReadToEnd();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AgentConfigurationException($"--password-file: cannot read '{passwordFile}': {e.Message}", e);
            }

            password = password.TrimEnd('\r', '\n');
            if (password.Length == 0 || password.Contains('\n', StringComparison.Ordinal))
            {
                throw new AgentConfigurationException("the password is empty or spans lines");
            }

            result.Add(new Setting("kafka", "security.protocol=SASL_SSL", "--username"));
            result.Add(new Setting("kafka", "sasl.mechanism=SCRAM-SHA-256", "--username"));
            result.Add(new Setting("kafka", "sasl.username=" + username, "--username"));
            result.Add(new Setting("kafka", "sasl.password=" + password, "--password"));
        }

        if (caFile is not null)
        {
            CaFile.Check(caFile, "--ca-file");
            result.Add(new Setting("kafka", "ssl.ca.location=" + Path.GetFullPath(caFile), "--ca-file"));
            if (username is null)
            {
                result.Add(new Setting("kafka", "security.protocol=SSL", "--ca-file"));
            }
        }

        // Settings given with --kafka come after ours so they win.
        var explicitKafka = result.Count == 0 ? [] : line.Settings.Where(s => s.Key == "kafka").ToList();
        result.AddRange(explicitKafka);
        return result;
    }

    /// <summary>Writes the file readable by its owner only (0600): it may hold the broker password.</summary>
    private static void WriteOwnerOnly(string path, string content)
    {
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllText(path, content);
            return;
        }

        var temporary = path + ".tmp";
        File.Delete(temporary);
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            file.Write(Encoding.UTF8.GetBytes(content));
        }

        File.Move(temporary, path, overwrite: true);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <returns>Lines to print.</returns>
    public static List<string> Uninstall(CommandLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var configPath = line.InstallOptions.GetValueOrDefault("config_path", ConfigFile.DefaultPath);
        var unitPath = line.InstallOptions.GetValueOrDefault("unit_path", DefaultUnitPath);
        var output = new List<string>();
        foreach (var path in new[] { unitPath, configPath })
        {
            try
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                    output.Add($"removed {path}");
                }
                else
                {
                    output.Add($"not present: {path}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AgentConfigurationException($"uninstall failed: {e.Message}", e);
            }
        }

        output.Add("if the service was running: systemctl disable --now platform-agent && systemctl daemon-reload");
        return output;
    }

    internal static string Unit(string exec, string configPath)
    {
        var text = new StringBuilder();
        text.Append("[Unit]\n");
        text.Append("Description=platform-agent: host, container and log telemetry to the monitoring platform\n");
        text.Append("Wants=network-online.target\n");
        text.Append("After=network-online.target\n\n");
        text.Append("[Service]\n");
        text.Append("Type=simple\n");
        text.Append("ExecStart=").Append(exec).Append(" run --config ").Append(Quote(configPath)).Append('\n');
        text.Append("# A small footprint: two malloc arenas rather than one per thread, a small young-generation GC budget.\n");
        text.Append("Environment=MALLOC_ARENA_MAX=").Append(MallocArenas.Max).Append('\n');
        text.Append("Environment=DOTNET_GCgen0size=40000 DOTNET_GCGen0MaxBudget=40000\n");
        text.Append("Restart=always\n");
        text.Append("RestartSec=2\n");
        text.Append("# SIGTERM: the agent spools what it collected and gets a few seconds to deliver it.\n");
        text.Append("TimeoutStopSec=15\n");
        text.Append("Nice=5\n\n");
        text.Append("[Install]\n");
        text.Append("WantedBy=multi-user.target\n");
        return text.ToString();
    }

    /// <summary>The command that runs this agent: its native executable, or dotnet with its dll.</summary>
    internal static string DefaultExec()
    {
        var process = Environment.ProcessPath ?? "platform-agent";
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
        {
            var dll = Path.Join(AppContext.BaseDirectory, "platform-agent.dll");
            return $"{Quote(process)} {Quote(dll)}";
        }

        return Quote(process);
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Chown(string path, uint owner, uint group);
    }
}
