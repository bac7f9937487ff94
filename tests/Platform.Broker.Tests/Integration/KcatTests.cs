namespace Platform.Broker.Tests.Integration;

/// <summary>kcat (librdkafka's command-line client, from Debian) against the broker.</summary>
[Collection(BrokerCollectionDefinition.Name)]
public class KcatTests(BrokerFixture fixture)
{
    private static Task<(int ExitCode, string Output, string Error)> RunAsync(string arguments, string? input, CancellationToken ct) =>
        KcatProcess.RunAsync(arguments, input, ct);

    private string Common => $"-b {fixture.Bootstrap} -X broker.address.family=v4";

    [Fact]
    public async Task Kcat_ListsMetadata_WithTheBrokerAndTopic()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("kcat-meta");
        fixture.Broker.Log.CreateTopic(topic, 2);

        var (code, output, error) = await RunAsync($"{Common} -L -t {topic}", null, ct);

        Assert.True(code == 0, error);
        Assert.Contains($"broker 1 at {fixture.Bootstrap}", output, StringComparison.Ordinal);
        Assert.Contains($"topic \"{topic}\" with 2 partitions", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kcat_ProducesAndConsumes_RoundTrip()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("kcat-rt");
        var lines = Enumerable.Range(0, 50).Select(i => $"line-{i}").ToList();

        var produced = await RunAsync($"{Common} -P -t {topic} -p 0 -z lz4", string.Join('\n', lines) + "\n", ct);
        Assert.True(produced.ExitCode == 0, produced.Error);

        var consumed = await RunAsync($"{Common} -C -t {topic} -p 0 -o beginning -e -q", null, ct);
        Assert.True(consumed.ExitCode == 0, consumed.Error);
        Assert.Equal(lines, consumed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Kcat_ConsumerGroup_ReadsEveryPartition()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("kcat-group");
        var lines = Enumerable.Range(0, 30).Select(i => $"g-{i}").ToList();
        var produced = await RunAsync($"{Common} -P -t {topic}", string.Join('\n', lines) + "\n", ct);
        Assert.True(produced.ExitCode == 0, produced.Error);

        // -G exits at the end of every assigned partition with -e.
        var group = "kcat-" + Guid.NewGuid().ToString("N");
        var consumed = await RunAsync(
            $"{Common} -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X auto.offset.reset=earliest -G {group} -e -q -f %s\\n {topic}", null, ct);

        Assert.True(consumed.ExitCode == 0, consumed.Error);
        Assert.Equal(lines.Order(StringComparer.Ordinal), consumed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Contains(fixture.Broker.Groups.ListGroups(), g => g.GroupId == group);
    }
}
