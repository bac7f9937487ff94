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
    public void Parse_EmbedsEverything_WithoutArguments() => Assert.Null(PlatformHostOptions.Parse([]).Bootstrap);

    [Theory]
    [InlineData("--bootstrap")]
    [InlineData("--bootstrap", "nohostport")]
    [InlineData("--bootstrap", "host:99999")]
    [InlineData("--kafka-listen", "x")]
    [InlineData("--agent-interval", "0")]
    [InlineData("--wat")]
    public void Parse_Rejects_BadArguments(params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => PlatformHostOptions.Parse(args));
        Assert.Contains(args[0], error.Message, StringComparison.Ordinal);
    }
}
