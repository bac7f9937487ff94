using Platform.Broker.Protocol;

namespace Platform.Broker.Tests.Protocol;

public class ResponseBufferTests
{
    [Fact]
    public void Complete_BackPatchesFrameSize_AndEncodesPrimitivesBigEndian()
    {
        using var w = new ResponseBuffer(correlationId: 7, initialCapacity: 4);
        w.WriteInt16((short)35);
        w.WriteString("ab");
        w.WriteString(null);
        var at = w.ReserveInt32();
        w.WriteInt64(1);
        w.PatchInt32(at, 2);
        w.Complete();

        byte[] expected =
        [
            0, 0, 0, 24,                 // size: everything after these 4 bytes
            0, 0, 0, 7,                  // correlation id
            0, 35,                       // int16
            0, 2, (byte)'a', (byte)'b',  // string
            0xFF, 0xFF,                  // null string
            0, 0, 0, 2,                  // back-patched int32
            0, 0, 0, 0, 0, 0, 0, 1,      // int64
        ];
        Assert.Equal(expected, w.Memory.ToArray());
    }

    [Fact]
    public void WriteUnsignedVarint_EncodesLikeKafka()
    {
        using var w = new ResponseBuffer(0);
        w.WriteUnsignedVarint(300);

        Assert.Equal(new byte[] { 0xAC, 0x02 }, w.Memory.ToArray()[8..]);
    }

    [Theory]
    [InlineData(1 << 30, 1 << 30, 16)]          // doubling 1 GiB would overflow int
    [InlineData(int.MaxValue - 100, int.MaxValue - 200, 10)]
    public void GrowTo_StaysWithinArrayMaxLength_WithoutOverflowing_PastOneGiB(int capacity, int written, int hint)
    {
        var size = ResponseBuffer.GrowTo(capacity, written, hint);

        Assert.InRange(size, (long)written + hint, Array.MaxLength);
    }

    [Fact]
    public void GrowTo_DoublesTheCapacity_WhenItFits()
    {
        Assert.Equal(8192, ResponseBuffer.GrowTo(4096, 4000, 200));
    }

    [Fact]
    public void GrowTo_Throws_WhenTheResponseCannotFitInOneArray()
    {
        Assert.Throws<InvalidOperationException>(() => ResponseBuffer.GrowTo(Array.MaxLength, Array.MaxLength - 10, 100));
    }
}
