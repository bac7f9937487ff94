using Platform.Broker.Groups;

namespace Platform.Broker.Tests.Groups;

public class OffsetCheckpointTests
{
    private static readonly OffsetCheckpoint.Entry[] Entries =
    [
        new("group-a", "metrics", 0, new CommittedOffset(42, -1, "meta", 1_700_000_000_000)),
        new("group-a", "metrics", 1, new CommittedOffset(0, 3, null, 5)),
        new("gröup-b", "logs", 7, new CommittedOffset(long.MaxValue, 0, "", 0)),
    ];

    [Fact]
    public void Format_ThenParse_RoundTrips()
    {
        var buffer = new byte[OffsetCheckpoint.Measure(Entries)];
        var n = OffsetCheckpoint.Format(Entries, buffer);

        Assert.Equal(buffer.Length, n);
        Assert.Equal(Entries, OffsetCheckpoint.Parse(buffer));
    }

    [Fact]
    public void Format_WritesVersionedHeader()
    {
        var buffer = new byte[OffsetCheckpoint.Measure([])];
        OffsetCheckpoint.Format([], buffer);

        // magic "PKCO", version 1, reserved 0, count 0, CRC-32C.
        Assert.Equal("PKCO"u8.ToArray(), buffer[..4]);
        Assert.Equal(new byte[] { 0, 1, 0, 0, 0, 0, 0, 0 }, buffer[4..12]);
        Assert.Equal(16, buffer.Length);
    }

    [Fact]
    public void Parse_Throws_WhenAByteIsFlipped()
    {
        var buffer = new byte[OffsetCheckpoint.Measure(Entries)];
        OffsetCheckpoint.Format(Entries, buffer);
        buffer[20] ^= 0x01;

        Assert.Throws<InvalidDataException>(() => OffsetCheckpoint.Parse(buffer));
    }

    [Fact]
    public async Task OffsetStore_KeepsCommits_AcrossReopen()
    {
        using var dir = new Platform.TestKit.TempDirectory();
        using (var store = new OffsetStore(dir.Path, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
        {
            store.Commit("g", "t", 2, new CommittedOffset(99, -1, "m", 1));
            await store.PersistAsync(TestContext.Current.CancellationToken);
        }

        using var reopened = new OffsetStore(dir.Path, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.True(reopened.TryGet("g", "t", 2, out var committed));
        Assert.Equal(new CommittedOffset(99, -1, "m", 1), committed);
    }
}
