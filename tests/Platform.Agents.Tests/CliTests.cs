using Platform.Agents.Cli;
using Platform.TestKit;

namespace Platform.Agents.Tests;

public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Parse_MapsFlagsToSettings_WithLabelsTakingSeveralValues()
    {
        var line = CommandLine.Parse(["run", "--bootstrap", "127.0.0.1:9092", "--labels", "env=prod", "rack=r1", "--interval", "500ms",
            "--log", "/var/log/*.log", "--logs-from-beginning", "--state-dir", _dir.Path, "--kafka", "socket.timeout.ms=5000"]);
        var options = Settings.ToOptions(line.EffectiveSettings());

        Assert.Equal("run", line.Command);
        Assert.Equal("127.0.0.1:9092", options.Bootstrap);
        Assert.Equal(new Dictionary<string, string> { ["env"] = "prod", ["rack"] = "r1" }, options.Labels);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.Interval);
        Assert.Equal(["/var/log/*.log"], options.LogPaths);
        Assert.True(options.LogsFromBeginning);
        Assert.Equal(_dir.Path, options.StateDirectory);
        Assert.Equal("5000", options.KafkaSettings["socket.timeout.ms"]);
    }

    [Fact]
    public void ConfigFile_IsRead_AndFlagsOverrideIt()
    {
        var config = Path.Join(_dir.Path, "agent.conf");
        File.WriteAllText(config, $"""
            # comment
            bootstrap = 10.0.0.1:9092   # the broker
            interval = 2s
            multiline_start = ^#\d+
            label = env=staging
            log = /var/log/syslog
            state_dir = {_dir.Path}
            spool_max_bytes = 64MiB
            compression = zstd
            """);

        var line = CommandLine.Parse(["run", "--config", config, "--interval", "1s", "--log", "/var/log/app.log"]);
        var options = Settings.ToOptions(line.EffectiveSettings());

        Assert.Equal("10.0.0.1:9092", options.Bootstrap);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Interval);
        Assert.Equal(["/var/log/app.log"], options.LogPaths); // a list flag replaces the file's list
        Assert.Equal("staging", options.Labels["env"]);
        Assert.Equal(64L * 1024 * 1024, options.SpoolMaxBytes);
        Assert.Equal(Confluent.Kafka.CompressionType.Zstd, options.Compression);
        Assert.Equal("^#\\d+", options.MultilineStart); // '#' inside a value is not a comment
    }

    [Fact]
    public void ConfigFile_UnknownKey_IsReportedWithItsLine()
    {
        var config = Path.Join(_dir.Path, "agent.conf");
        File.WriteAllText(config, "bootstrap = h:1\nintervall = 1s\nnot a setting\n");

        var e = Assert.Throws<AgentConfigurationException>(() => CommandLine.Parse(["run", "--config", config]).EffectiveSettings());

        Assert.Contains("agent.conf:2: unknown key 'intervall'", e.Message, StringComparison.Ordinal);
        Assert.Contains("agent.conf:3: expected 'key = value'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [InlineData(new[] { "run", "--nope", "1" }, "unknown flag '--nope'")]
    [InlineData(new[] { "run", "--bootstrap" }, "--bootstrap needs a value")]
    [InlineData(new[] { "run", "--labels" }, "--labels needs at least one")]
    [InlineData(new[] { "run", "--unit-path", "/x" }, "for install and uninstall only")]
    public void Parse_RejectsBadCommandLines_Clearly(string[] args, string expected)
    {
        var e = Assert.Throws<AgentConfigurationException>(() => CommandLine.Parse(args));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ListsEveryProblem()
    {
        var line = CommandLine.Parse(["run", "--bootstrap", "no-port", "--interval", "10ms", "--log", "relative.log",
            "--multiline-start", "([", "--scrape", "ftp://x", "--state-dir", _dir.Path, "--metrics-listen", "nope",
            "--compression", "brotli", "--cgroup-root", "/nonexistent/cgroup"]);

        // Bad values and invalid settings together: one message.
        var e = Assert.Throws<AgentConfigurationException>(() => Settings.ToOptions(line.EffectiveSettings()));

        Assert.Contains("--compression: compression: 'brotli' is not one of", e.Message, StringComparison.Ordinal);
        Assert.Contains("cgroup_root: '/nonexistent/cgroup' is not a readable directory", e.Message, StringComparison.Ordinal);

        Assert.Contains("bootstrap: 'no-port' is not HOST:PORT", e.Message, StringComparison.Ordinal);
        Assert.Contains("interval: 10 ms is outside", e.Message, StringComparison.Ordinal);
        Assert.Contains("log: 'relative.log': must be an absolute path", e.Message, StringComparison.Ordinal);
        Assert.Contains("multiline_start: '([' is not a valid regular expression", e.Message, StringComparison.Ordinal);
        Assert.Contains("scrape: 'ftp://x' is not an http(s) URL", e.Message, StringComparison.Ordinal);
        Assert.Contains("metrics_listen: 'nope' is not HOST:PORT", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("interval", "5x", "'5x' is not a duration")]
    [InlineData("spool_max_bytes", "lots", "'lots' is not a size")]
    [InlineData("compression", "brotli", "'brotli' is not one of lz4, zstd")]
    [InlineData("collect_host", "maybe", "'maybe' is not true or false")]
    [InlineData("label", "novalue", "'novalue' is not NAME=VALUE")]
    public void Settings_RejectBadValues_WithTheirSource(string key, string value, string expected)
    {
        var e = Assert.Throws<AgentConfigurationException>(() => Settings.ToOptions([new Setting(key, value, "agent.conf:7")]));
        Assert.Contains($"agent.conf:7: {key}: {expected}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsConfiguredPathsThatDoNotExist()
    {
        var options = new AgentOptions
        {
            Output = AgentOutput.Null,
            StateDirectory = _dir.Path,
            SysRoot = "/nonexistent/sys",
            RootFs = "/nonexistent/root",
            CgroupRoot = "/nonexistent/cgroup",
            DockerSocket = "/nonexistent/docker.sock",
        };

        var e = Assert.Throws<AgentConfigurationException>(options.Validate);

        Assert.Contains("sys_root: '/nonexistent/sys' is not a readable directory", e.Message, StringComparison.Ordinal);
        Assert.Contains("rootfs: '/nonexistent/root' is not a readable directory", e.Message, StringComparison.Ordinal);
        Assert.Contains("cgroup_root: '/nonexistent/cgroup' is not a readable directory", e.Message, StringComparison.Ordinal);
        Assert.Contains("docker_socket: '/nonexistent/docker.sock' does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptsMissingPaths_OfPartsThatAreOff_AndAnEmptyDockerSocket()
    {
        var options = new AgentOptions
        {
            Output = AgentOutput.Null,
            StateDirectory = _dir.Path,
            CollectContainers = false,
            CgroupRoot = "/nonexistent/cgroup",
            DockerSocket = "",
        };

        options.Validate();
        Assert.Empty(OptionsValidator.Warnings(options));
    }

    [Fact]
    public void StateDirectory_ThatCannotBeCreated_IsReported()
    {
        var file = Path.Join(_dir.Path, "a-file");
        File.WriteAllText(file, "");
        var options = new AgentOptions { Output = AgentOutput.Null, StateDirectory = Path.Join(file, "state") };

        var e = Assert.Throws<AgentConfigurationException>(options.Validate);

        Assert.Contains("state_dir:", e.Message, StringComparison.Ordinal);
        Assert.Contains("is not a writable directory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_WritesConfigAndUnit_ThatRunReadsBack_AndUninstallRemovesThem()
    {
        var configPath = Path.Join(_dir.Path, "etc", "agent.conf");
        var unitPath = Path.Join(_dir.Path, "systemd", "platform-agent.service");
        var state = Path.Join(_dir.Path, "state");
        var install = CommandLine.Parse(["install", "--bootstrap", "10.1.2.3:9092", "--labels", "env=prod", "team=infra",
            "--state-dir", state, "--config-path", configPath, "--unit-path", unitPath, "--exec", "/usr/local/bin/platform-agent"]);

        var output = Installer.Install(install);

        Assert.Contains($"wrote {configPath}", output);
        var unit = File.ReadAllText(unitPath);
        Assert.Contains($"ExecStart=/usr/local/bin/platform-agent run --config {configPath}\n", unit, StringComparison.Ordinal);
        Assert.Contains("Restart=always\n", unit, StringComparison.Ordinal);
        Assert.Contains("WantedBy=multi-user.target\n", unit, StringComparison.Ordinal);
        var options = Settings.ToOptions(CommandLine.Parse(["run", "--config", configPath]).EffectiveSettings());
        Assert.Equal("10.1.2.3:9092", options.Bootstrap);
        Assert.Equal(new Dictionary<string, string> { ["env"] = "prod", ["team"] = "infra" }, options.Labels);
        Assert.Equal(state, options.StateDirectory);

        var removed = Installer.Uninstall(CommandLine.Parse(["uninstall", "--config-path", configPath, "--unit-path", unitPath]));

        Assert.Contains($"removed {unitPath}", removed);
        Assert.Contains($"removed {configPath}", removed);
        Assert.False(File.Exists(configPath) || File.Exists(unitPath));
    }

    [Fact]
    public void Unit_CapsMallocArenas_AndGcBudget_InItsEnvironment()
    {
        var unit = Installer.Unit("/usr/local/bin/platform-agent", "/etc/platform-agent/agent.conf");

        var service = unit[unit.IndexOf("[Service]\n", StringComparison.Ordinal)..unit.IndexOf("[Install]\n", StringComparison.Ordinal)];
        Assert.Contains("\nEnvironment=MALLOC_ARENA_MAX=2\n", service, StringComparison.Ordinal);
        Assert.Contains("\nEnvironment=DOTNET_GCgen0size=40000 DOTNET_GCGen0MaxBudget=40000\n", service, StringComparison.Ordinal);
    }

    [Fact]
    public void MallocArenas_Limit_IsTakenByGlibc_UnlessTheEnvironmentSetsIt()
    {
        var glibc = OperatingSystem.IsLinux() && (File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"));
        var preset = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 };

        Assert.Equal(glibc && !preset, MallocArenas.Limit());
    }

    [Fact]
    public void Install_RefusesInvalidSettings_AndWritesNothing()
    {
        var configPath = Path.Join(_dir.Path, "agent.conf");
        var install = CommandLine.Parse(["install", "--bootstrap", "bad", "--state-dir", _dir.Path, "--config-path", configPath, "--unit-path", Path.Join(_dir.Path, "u.service")]);

        Assert.Throws<AgentConfigurationException>(() => Installer.Install(install));
        Assert.False(File.Exists(configPath));
    }
}
