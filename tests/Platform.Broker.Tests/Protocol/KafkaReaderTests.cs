using Platform.Broker.Protocol;

namespace Platform.Broker.Tests.Protocol;

public class KafkaReaderTests
{
    [Fact]
    public void RequestHeader_Read_ParsesV1Header()
    {
        // Metadata (3) v8, correlation id 0x01020304, client id "rdkafka".
        byte[] data = [0, 3, 0, 8, 1, 2, 3, 4, 0, 7, (byte)'r', (byte)'d', (byte)'k', (byte)'a', (byte)'f', (byte)'k', (byte)'a', 0xAA];
        var reader = new KafkaReader(data);

        var header = RequestHeader.Read(ref reader);

        Assert.Equal(new RequestHeader(3, 8, 0x01020304, "rdkafka"), header);
        Assert.Equal(17, reader.Position);
    }

    [Fact]
    public void RequestHeader_Read_SkipsTaggedFieldsForApiVersionsV3()
    {
        // ApiVersions v3, correlation 1, null client id, tagged fields: one field tag 0 size 2, then body byte 0x55.
        byte[] data = [0, 18, 0, 3, 0, 0, 0, 1, 0xFF, 0xFF, 1, 0, 2, 9, 9, 0x55];
        var reader = new KafkaReader(data);

        var header = RequestHeader.Read(ref reader);

        Assert.Null(header.ClientId);
        Assert.Equal(15, reader.Position);
    }

    [Fact]
    public void ReadString_Throws_WhenLengthRunsPastTheEnd()
    {
        byte[] data = [0, 10, (byte)'a'];

        var ex = Record.Exception(() =>
        {
            var reader = new KafkaReader(data);
            reader.ReadString();
        });

        Assert.IsType<KafkaProtocolException>(ex);
    }

    [Fact]
    public void ReadArrayCount_Throws_WhenCountCannotFitInTheRemainingBytes()
    {
        // 1,000,000 elements of at least 4 bytes announced with 4 bytes left: rejected before allocating anything.
        byte[] data = [0, 0x0F, 0x42, 0x40, 0, 0, 0, 0];

        var ex = Record.Exception(() =>
        {
            var reader = new KafkaReader(data);
            reader.ReadArrayCount(4);
        });

        Assert.IsType<KafkaProtocolException>(ex);
    }

    [Fact]
    public void ReadArrayCount_ReturnsMinusOne_ForNullableNullArray()
    {
        byte[] data = [0xFF, 0xFF, 0xFF, 0xFF];
        var reader = new KafkaReader(data);

        Assert.Equal(-1, reader.ReadArrayCount(4, nullable: true));
    }

    [Fact]
    public void ReadUnsignedVarint_DecodesMultiByteValue()
    {
        byte[] data = [0xAC, 0x02]; // 300
        var reader = new KafkaReader(data);

        Assert.Equal(300u, reader.ReadUnsignedVarint());
    }

    [Fact]
    public void ReadNullableBytes_ReturnsNull_ForLengthMinusOne()
    {
        byte[] data = [0xFF, 0xFF, 0xFF, 0xFF];
        var reader = new KafkaReader(data);

        Assert.Null(reader.ReadNullableBytes());
    }

    [Fact]
    public void ClientIdCache_ReturnsTheSameString_ForRepeatedClientId_AndANewOneWhenItChanges()
    {
        byte[] a = [0, 18, 0, 0, 0, 0, 0, 1, 0, 2, (byte)'c', (byte)'1'];
        byte[] b = [0, 18, 0, 0, 0, 0, 0, 2, 0, 2, (byte)'c', (byte)'2'];
        var cache = new ClientIdCache();

        var r1 = new KafkaReader(a);
        var first = RequestHeader.Read(ref r1, cache).ClientId;
        var r2 = new KafkaReader(a);
        var again = RequestHeader.Read(ref r2, cache).ClientId;
        var r3 = new KafkaReader(b);
        var changed = RequestHeader.Read(ref r3, cache).ClientId;

        Assert.Equal("c1", first);
        Assert.Same(first, again);
        Assert.Equal("c2", changed);
    }
}
