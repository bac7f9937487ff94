using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Platform.Broker.Tests.Integration;

/// <summary>A minimal Kafka client over a raw socket, for requests real clients never send (malformed ones, exact retries).</summary>
internal sealed class RawKafkaClient : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private NetworkStream _stream = null!;
    private int _correlation;

    public static async Task<RawKafkaClient> ConnectAsync(string bootstrap)
    {
        var c = new RawKafkaClient();
        var colon = bootstrap.LastIndexOf(':');
        await c._client.ConnectAsync(bootstrap[..colon], int.Parse(bootstrap[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        c._stream = c._client.GetStream();
        return c;
    }

    public NetworkStream Stream => _stream;

    /// <summary>Sends one request and returns the response body (after the correlation id).</summary>
    public async Task<byte[]> SendAsync(short apiKey, short version, Action<RequestWriter> body, CancellationToken cancellationToken = default)
    {
        var correlation = ++_correlation;
        var w = new RequestWriter();
        w.Int16(apiKey).Int16(version).Int32(correlation).String("raw-test");
        body(w);
        await SendRawAsync(w.ToFrame(), cancellationToken);
        var response = await ReadFrameAsync(cancellationToken) ?? throw new IOException("connection closed before the response");
        Assert.Equal(correlation, BinaryPrimitives.ReadInt32BigEndian(response));
        return response[4..];
    }

    public async Task SendRawAsync(byte[] bytes, CancellationToken cancellationToken = default)
    {
        await _stream.WriteAsync(bytes, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads one response frame; null when the broker closed the connection.</summary>
    public async Task<byte[]?> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        var header = new byte[4];
        if (!await ReadExactlyOrEndAsync(header, cancellationToken))
        {
            return null;
        }

        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
        return await ReadExactlyOrEndAsync(body, cancellationToken) ? body : null;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        _client.Dispose();
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            }
            catch (IOException)
            {
                return false;
            }

            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}

/// <summary>Builds a request frame with Kafka's big-endian primitives.</summary>
internal sealed class RequestWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public RequestWriter Int8(sbyte v)
    {
        _buffer.GetSpan(1)[0] = (byte)v;
        _buffer.Advance(1);
        return this;
    }

    public RequestWriter Int16(short v)
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), v);
        _buffer.Advance(2);
        return this;
    }

    public RequestWriter Int32(int v)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), v);
        _buffer.Advance(4);
        return this;
    }

    public RequestWriter Int64(long v)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), v);
        _buffer.Advance(8);
        return this;
    }

    public RequestWriter String(string? s)
    {
        if (s is null)
        {
            return Int16(-1);
        }

        var bytes = Encoding.UTF8.GetBytes(s);
        Int16((short)bytes.Length);
        _buffer.Write(bytes);
        return this;
    }

    public RequestWriter Bytes(byte[]? b)
    {
        if (b is null)
        {
            return Int32(-1);
        }

        Int32(b.Length);
        _buffer.Write(b);
        return this;
    }

    public RequestWriter Raw(ReadOnlySpan<byte> b)
    {
        _buffer.Write(b);
        return this;
    }

    public byte[] ToFrame()
    {
        var frame = new byte[_buffer.WrittenCount + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, _buffer.WrittenCount);
        _buffer.WrittenSpan.CopyTo(frame.AsSpan(4));
        return frame;
    }
}

/// <summary>Reads a response body with Kafka's big-endian primitives.</summary>
internal sealed class ResponseReader(byte[] data)
{
    private int _position;

    public int Remaining => data.Length - _position;

    public short Int16()
    {
        var v = BinaryPrimitives.ReadInt16BigEndian(data.AsSpan(_position));
        _position += 2;
        return v;
    }

    public int Int32()
    {
        var v = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(_position));
        _position += 4;
        return v;
    }

    public long Int64()
    {
        var v = BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(_position));
        _position += 8;
        return v;
    }

    public string? String()
    {
        var n = Int16();
        if (n < 0)
        {
            return null;
        }

        var s = Encoding.UTF8.GetString(data, _position, n);
        _position += n;
        return s;
    }

    /// <summary>The next <paramref name="count"/> raw bytes.</summary>
    public byte[] Bytes(int count)
    {
        var b = data.AsSpan(_position, count).ToArray();
        _position += count;
        return b;
    }

    public byte[]? Bytes()
    {
        var n = Int32();
        if (n < 0)
        {
            return null;
        }

        var b = data.AsSpan(_position, n).ToArray();
        _position += n;
        return b;
    }
}
