using System.Collections;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Security;

/// <summary>The dashboard's broker password need not be on the command line, and no error repeats a setting's value.</summary>
public sealed class KafkaSecretOptionsTests : IDisposable
{
    private readonly TempDirectory _dir = new("platform-kafka-file");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void KafkaFile_And_Environment_FillTheSettings_TheCommandLineWinning()
    {
        var file = Path.Combine(_dir.Path, "kafka.properties");
        File.WriteAllLines(file, ["# broker credentials", "sasl.username = dash", "sasl.password=s3cret=with=equals", "", "security.protocol=SASL_SSL"]);
        var environment = new Hashtable
        {
            ["PLATFORM_KAFKA__SSL_CA_LOCATION"] = "/etc/platform/ca.pem",
            ["PLATFORM_KAFKA__SASL_USERNAME"] = "from-env",
            ["UNRELATED"] = "x",
        };

        var options = PlatformHostOptions.Parse(["--bootstrap", "kafka:9093", "--kafka", "security.protocol=SASL_PLAINTEXT", "--kafka-file", file], environment);

        var settings = options.Dashboard.KafkaProperties;
        Assert.Equal("/etc/platform/ca.pem", settings["ssl.ca.location"]);
        Assert.Equal("dash", settings["sasl.username"]);
        Assert.Equal("s3cret=with=equals", settings["sasl.password"]);
        Assert.Equal("SASL_PLAINTEXT", settings["security.protocol"]);
        Assert.False(settings.ContainsKey("unrelated"));
    }

    [Fact]
    public void Errors_NeverRepeatASettingsValue()
    {
        var file = Path.Combine(_dir.Path, "bad.properties");
        File.WriteAllLines(file, ["sasl.username=dash", "hunter2-typed-without-a-key"]);

        var badFile = Assert.Throws<ArgumentException>(() => PlatformHostOptions.Parse(["--kafka-file", file], new Hashtable()));
        var badFlag = Assert.Throws<ArgumentException>(() => PlatformHostOptions.Parse(["--kafka", "hunter2"], new Hashtable()));
        var stray = Assert.Throws<ArgumentException>(() => PlatformHostOptions.Parse(["sasl.password=hunter2"], new Hashtable()));

        Assert.Contains("line 2", badFile.Message, StringComparison.Ordinal);
        foreach (var message in new[] { badFile.Message, badFlag.Message, stray.Message })
        {
            Assert.DoesNotContain("hunter2", message, StringComparison.Ordinal);
        }
    }
}
