namespace Platform.Dashboard.Tests.Services;

public class PlatformHostOptionsTests
{
    [Fact]
    public void Parse_ReadsEveryOption()
    {
        var options = PlatformHostOptions.Parse(["--bootstrap", "kafka-1:9092,kafka-2:9092", "--urls", "http://0.0.0.0:8080", "--data", "/tmp/x", "--kafka-listen", "127.0.0.1:9999", "--agent-interval", "2.5"]);
        Assert.Equal("kafka-1:9092,kafka-2:9092", options.Bootstrap);
        Assert.Equal("http://0.0.0.0:8080", options.Urls);
        Assert.Equal("/tmp/x", options.DataDirectory);
        Assert.Equal("127.0.0.1:9999", options.KafkaListen);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.AgentInterval);
    }

    [Fact]
    public void Parse_ReadsTheAlertingUrl_ForTheDashboardAlone()
    {
        var options = PlatformHostOptions.Parse(["--bootstrap", "broker-1:9092", "--alerting-url", "http://alerting-1:8080/"]);
        Assert.Equal("http://alerting-1:8080/", options.Dashboard.AlertingUrl);
        Assert.Null(PlatformHostOptions.Parse(["--bootstrap", "broker-1:9092"]).Dashboard.AlertingUrl);
    }

    [Theory]
    [InlineData("http://0.0.0.0:5000", "http://127.0.0.1:5000/")]
    [InlineData("http://[::]:5000", "http://[::1]:5000/")]
    [InlineData("http://+:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://127.0.0.1:41234", "http://127.0.0.1:41234/")]
    [InlineData("http://localhost:5000", "http://localhost:5000/")]
    public void LoopbackOf_IsTheBoundAddressAsThisProcessReachesIt(string bound, string expected) =>
        Assert.Equal(expected, PlatformHost.LoopbackOf(bound));

    [Fact]
    public void Parse_EmbedsEverything_WithoutArguments() => Assert.Null(PlatformHostOptions.Parse([]).Bootstrap);

    [Theory]
    [InlineData("--bootstrap")]
    [InlineData("--bootstrap", "nohostport")]
    [InlineData("--bootstrap", "host:99999")]
    [InlineData("--kafka-listen", "x")]
    [InlineData("--agent-interval", "0")]
    [InlineData("--wat")]
    [InlineData("--alerting-url", "alerting-1:8080")]
    [InlineData("--alerting-url", "ftp://alerting-1/")]
    public void Parse_Rejects_BadArguments(params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => PlatformHostOptions.Parse(args));
        Assert.Contains(args[0], error.Message, StringComparison.Ordinal);
    }
}
