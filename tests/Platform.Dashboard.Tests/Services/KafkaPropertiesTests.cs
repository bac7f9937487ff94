using Platform.Dashboard.Services;

namespace Platform.Dashboard.Tests.Services;

public class KafkaPropertiesTests
{
    [Fact]
    public void KafkaFlag_FillsTheDashboardsKafkaProperties_WhichEveryClientGets()
    {
        var options = PlatformHostOptions.Parse(["--bootstrap", "kafka:9093", "--kafka", "security.protocol=SASL_SSL", "--kafka", "sasl.password=a=b"]);
        options.Dashboard.Bootstrap = "kafka:9093";

        var consumer = KafkaConfig.Consumer(options.Dashboard, "g", "c");
        var admin = KafkaConfig.Admin(options.Dashboard, "c");

        Assert.Equal("a=b", options.Dashboard.KafkaProperties["sasl.password"]);
        Assert.Equal("SASL_SSL", consumer.Get("security.protocol"));
        Assert.Equal("SASL_SSL", admin.Get("security.protocol"));
        Assert.Equal("a=b", admin.SaslPassword);
    }

    [Fact]
    public void KafkaFlag_WithoutKeyValue_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => PlatformHostOptions.Parse(["--kafka", "security.protocol"]));

        Assert.Contains("KEY=VALUE", error.Message, StringComparison.Ordinal);
    }
}
