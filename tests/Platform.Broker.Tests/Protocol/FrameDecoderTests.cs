using System.Buffers;
using Platform.Broker.Protocol;

namespace Platform.Broker.Tests.Protocol;

public class FrameDecoderTests
{
    // size 10, then an ApiVersions v0 header: key 18, version 0, correlation 7, null client id; then 3 bytes of the next frame.
    private static readonly byte[] OneFrameAndAPartialOne =
    [
        0, 0, 0, 10,
        0, 18, 0, 0, 0, 0, 0, 7, 0xFF, 0xFF,
        0, 0, 0,
    ];

    public static TheoryData<bool> Splits => new() { false, true };

    private static ReadOnlySequence<byte> Input(byte[] data, bool split) =>
        split ? SegmentedSequence.OneBytePerSegment(data) : new ReadOnlySequence<byte>(data);

    [Theory]
    [MemberData(nameof(Splits))]
    public void TryReadFrame_ReturnsWholeFrameAndLeavesTheRest_WhenOneFrameIsComplete(bool split)
    {
        var buffer = Input(OneFrameAndAPartialOne, split);

        Assert.True(FrameDecoder.TryReadFrame(ref buffer, 1024, out var frame));

        Assert.Equal(OneFrameAndAPartialOne[4..14], frame.ToArray());
        Assert.Equal(3, buffer.Length);
        Assert.False(FrameDecoder.TryReadFrame(ref buffer, 1024, out _));
        Assert.Equal(3, buffer.Length); // incomplete input consumes nothing
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void TryReadFrame_ConsumesNothing_WhenBodyIsIncomplete(bool split)
    {
        var buffer = Input(OneFrameAndAPartialOne[..13], split);

        Assert.False(FrameDecoder.TryReadFrame(ref buffer, 1024, out _));
        Assert.Equal(13, buffer.Length);
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void TryReadFrame_Throws_WhenSizeExceedsLimitBeforeBodyArrives(bool split)
    {
        // 0x7FFFFFFF announced; only the 4-byte header is present: rejected at once, nothing buffered.
        var buffer = Input([0x7F, 0xFF, 0xFF, 0xFF], split);

        var ex = Assert.Throws<KafkaProtocolException>(() => FrameDecoder.TryReadFrame(ref buffer, 1024 * 1024, out _));
        Assert.Contains("exceeds the limit", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void TryReadFrame_Throws_WhenSizeIsNegative(bool split)
    {
        var buffer = Input([0xFF, 0xFF, 0xFF, 0xFE], split);

        Assert.Throws<KafkaProtocolException>(() => FrameDecoder.TryReadFrame(ref buffer, 1024, out _));
    }

    [Fact]
    public void TryReadFrame_Throws_WhenSizeIsBelowTheSmallestHeader()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 3, 1, 2, 3 });

        Assert.Throws<KafkaProtocolException>(() => FrameDecoder.TryReadFrame(ref buffer, 1024, out _));
    }

    [Fact]
    public void TryReadFrame_AcceptsAShortFrame_WhenTheMinimumIsLowered_ForABareSaslToken()
    {
        // A 3-byte SASL PLAIN token ("\0a\0" would be 3 bytes) after SaslHandshake v0 has no request header.
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 3, 0, (byte)'a', 0 });

        Assert.True(FrameDecoder.TryReadFrame(ref buffer, 1024, out var frame, minFrameSize: 1));
        Assert.Equal(3, frame.Length);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void TryReadFrameSize_ReadsTheSizeWithoutConsuming_AndReturnsFalseBeforeFourBytes()
    {
        Assert.False(FrameDecoder.TryReadFrameSize(new ReadOnlySequence<byte>(new byte[] { 0, 0, 1 }), 1024, out _));
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 1, 0, 9 });

        Assert.True(FrameDecoder.TryReadFrameSize(buffer, 1024, out var size));
        Assert.Equal(256, size);
        Assert.Equal(5, buffer.Length);
    }
}
