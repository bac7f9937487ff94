using Platform.Broker.Storage;

namespace Platform.Broker.Tests.Storage;

public sealed class LogManagerTests
{
    [Fact]
    public async Task CreateTopic_MakesOneDirectoryPerPartition_AndRejectsDuplicates()
    {
        await using var h = new LogHarness();
        var topic = h.Manager.CreateTopic("metrics", 3);
        Assert.Equal(3, topic.Partitions.Count);
        Assert.Equal([0, 1, 2], topic.Partitions.Select(p => p.Partition));
        Assert.All(topic.Partitions, p => Assert.Equal("metrics", p.Topic));
        Assert.True(Directory.Exists(h.PartitionDirectory("metrics", 2)));
        Assert.Throws<TopicExistsException>(() => h.Manager.CreateTopic("metrics", 1));
        Assert.Single(h.Manager.Topics);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("ü")]
    public async Task CreateTopic_RejectsInvalidNames(string name)
    {
        await using var h = new LogHarness();
        Assert.Throws<ArgumentException>(() => h.Manager.CreateTopic(name, 1));
    }

    [Fact]
    public async Task CreateTopic_RejectsBadPartitionCountsAndConfigs()
    {
        await using var h = new LogHarness();
        Assert.Throws<ArgumentException>(() => h.Manager.CreateTopic("t", 0));
        Assert.Throws<ArgumentException>(() => h.Manager.CreateTopic(new string('a', 250), 1));
        Assert.Throws<ArgumentException>(() => h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 10 }));
        h.Manager.CreateTopic(new string('a', 249), 1);
    }

    [Fact]
    public async Task DeleteTopic_RemovesItsFiles_AndTheNameCanBeReused()
    {
        await using var h = new LogHarness();
        h.Manager.CreateTopic("t", 2);
        await h.Partition("t").AppendAsync(Batches.Make(3), TestContext.Current.CancellationToken);
        Assert.True(h.Manager.DeleteTopic("t"));
        Assert.False(h.Manager.DeleteTopic("t"));
        Assert.False(h.Manager.TryGetTopic("t", out _));
        Assert.Empty(Directory.GetDirectories(h.DataDirectory));
        var again = h.Manager.CreateTopic("t", 1);
        Assert.Equal(0, again.Partitions[0].LogEndOffset);
        await h.ReopenAsync();
        Assert.Single(h.Manager.Topics);
    }

    [Fact]
    public async Task Open_FinishesATopicWhosePartitionDirectoriesAreMissing()
    {
        await using var h = new LogHarness();
        h.Manager.CreateTopic("t", 3);
        await h.CrashAndReopenAsync(() => Directory.Delete(h.PartitionDirectory("t", 2), recursive: true));
        Assert.True(h.Manager.TryGetTopic("t", out var topic));
        Assert.Equal(3, topic.Partitions.Count);
    }

    [Fact]
    public async Task Open_RefusesADataDirectoryAlreadyInUse()
    {
        await using var h = new LogHarness();
        var e = Assert.Throws<IOException>(() => LogManager.Open(new LogOptions { DataDirectory = h.DataDirectory }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
        Assert.Contains("in use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopicConfig_OverridesBrokerDefaults()
    {
        await using var h = new LogHarness(d => new LogOptions { DataDirectory = d, Defaults = new TopicConfig { RetentionMs = 1000, SegmentBytes = 4096 } });
        var topic = h.Manager.CreateTopic("t", 1, new TopicConfig { SegmentBytes = 8192 });
        Assert.Equal(1000, topic.EffectiveConfig.RetentionMs);
        Assert.Equal(8192, topic.EffectiveConfig.SegmentBytes);
        Assert.Equal(TopicConfig.Default.MaxMessageBytes, topic.EffectiveConfig.MaxMessageBytes);
        Assert.Null(topic.Config.RetentionMs);
    }

    [Fact]
    public void TopicConfig_ParsesKafkaEntries_AndRoundTrips()
    {
        var config = TopicConfig.Parse(new Dictionary<string, string?>
        {
            ["retention.ms"] = "-1",
            ["retention.bytes"] = "1048576",
            ["segment.bytes"] = "65536",
            ["segment.ms"] = "3600000",
            ["max.message.bytes"] = "100000",
            ["index.interval.bytes"] = "1024",
            ["message.timestamp.type"] = "LogAppendTime",
            ["cleanup.policy"] = "delete",
        });
        Assert.Equal(-1, config.RetentionMs);
        Assert.Equal(65536, config.SegmentBytes);
        Assert.Equal(TimestampType.LogAppendTime, config.MessageTimestampType);
        var entries = config.ToEntries();
        Assert.Equal(7, entries.Count);
        Assert.Equal(config, TopicConfig.Parse(entries.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value))));
    }

    [Theory]
    [InlineData("retention.ms", "abc")]
    [InlineData("retention.ms", "-2")]
    [InlineData("segment.bytes", "1")]
    [InlineData("segment.bytes", "9999999999")]
    [InlineData("message.timestamp.type", "Now")]
    [InlineData("cleanup.policy", "compact")]
    [InlineData("no.such.key", "1")]
    public void TopicConfig_RejectsBadEntries_NamingTheKey(string key, string value)
    {
        var e = Assert.Throws<ArgumentException>(() => TopicConfig.Parse([new(key, value)]));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }
}
