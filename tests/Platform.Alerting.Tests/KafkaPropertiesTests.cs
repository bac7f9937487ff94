using Confluent.Kafka;
using Platform.Alerting.Service;

namespace Platform.Alerting.Tests;

public class KafkaPropertiesTests
{
    [Fact]
    public void KafkaProperties_AreAppliedToEveryClientAlertingBuilds()
    {
        var options = new AlertingOptions { Bootstrap = "broker:9093" };
        options.KafkaProperties["security.protocol"] = "SASL_SSL";
        options.KafkaProperties["sasl.username"] = "alerting";
        options.KafkaProperties["ssl.ca.location"] = "/etc/platform/ca.pem";

        ClientConfig[] configs = [KafkaConfig.Reader(options, "x"), KafkaConfig.Group(options, "i"), KafkaConfig.Producer(options, "i"), KafkaConfig.Admin(options)];

        Assert.All(configs, c =>
        {
            Assert.Equal("SASL_SSL", c.Get("security.protocol"));
            Assert.Equal("alerting", c.SaslUsername);
            Assert.Equal("/etc/platform/ca.pem", c.SslCaLocation);
            Assert.Equal("broker:9093", c.BootstrapServers);
        });
    }
}
