using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker.Groups;
using Platform.Broker.Tests.Integration;
using Platform.TestKit;

namespace Platform.Broker.Tests.Groups;

public class OffsetStoreTests
{
    [Fact]
    public async Task CorruptCheckpoint_IsSetAside_AndTheStoreStartsEmpty_ThenPersistsAgain()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, OffsetStore.FileName);
        await File.WriteAllBytesAsync(path, "PKCO this is not a checkpoint"u8.ToArray(), TestContext.Current.CancellationToken);

        using (var store = new OffsetStore(dir.Path, NullLogger.Instance))
        {
            Assert.Empty(store.Groups);
            var aside = Assert.Single(Directory.GetFiles(dir.Path, OffsetStore.FileName + ".corrupt-*"));
            Assert.Equal("PKCO this is not a checkpoint"u8.ToArray(), await File.ReadAllBytesAsync(aside, TestContext.Current.CancellationToken));
            store.Commit("g", "t", 0, new CommittedOffset(9, -1, null, 1));
            await store.PersistAsync(TestContext.Current.CancellationToken);
        }

        using var reopened = new OffsetStore(dir.Path, NullLogger.Instance);
        Assert.True(reopened.TryGet("g", "t", 0, out var committed));
        Assert.Equal(9, committed.Offset);
    }

    [Fact]
    public async Task Broker_Starts_WhenItsOffsetsCheckpointIsCorrupt()
    {
        using var dir = new TempDirectory("broker-corrupt-offsets");
        await File.WriteAllBytesAsync(Path.Combine(dir.Path, OffsetStore.FileName), [1, 2, 3], TestContext.Current.CancellationToken);

        await using var broker = await BrokerServer.StartAsync(BrokerFixture.Options(dir.Path), NullLoggerFactory.Instance, TestContext.Current.CancellationToken);

        Assert.Empty(broker.Groups.Offsets.Groups);
        Assert.Single(Directory.GetFiles(dir.Path, OffsetStore.FileName + ".corrupt-*"));
    }

    [Fact]
    public void Expire_DropsCommitsOfEmptyGroupsPastRetention_AndKeepsGroupsWithMembers()
    {
        using var dir = new TempDirectory();
        using var store = new OffsetStore(dir.Path, NullLogger.Instance);
        store.Commit("empty", "t", 0, new CommittedOffset(1, -1, null, CommitTimestamp: 1_000));
        store.Commit("empty", "t", 1, new CommittedOffset(1, -1, null, CommitTimestamp: 9_000));
        store.Commit("active", "t", 0, new CommittedOffset(1, -1, null, CommitTimestamp: 1_000));
        store.Commit("recently-emptied", "t", 0, new CommittedOffset(1, -1, null, CommitTimestamp: 1_000));

        var removed = store.Expire(nowMs: 10_000, retentionMs: 5_000, group => group switch
        {
            "active" => (true, 0),
            "recently-emptied" => (false, 8_000), // empty since 8 s: retention counts from there
            _ => (false, null),
        });

        Assert.Equal(1, removed);
        Assert.False(store.TryGet("empty", "t", 0, out _));
        Assert.True(store.TryGet("empty", "t", 1, out _));
        Assert.True(store.TryGet("active", "t", 0, out _));
        Assert.True(store.TryGet("recently-emptied", "t", 0, out _));

        Assert.Equal(2, store.Expire(nowMs: 20_000, retentionMs: 5_000, group => (group == "active", null)));
        Assert.DoesNotContain("empty", store.Groups);
        Assert.Contains("active", store.Groups);
    }
}
