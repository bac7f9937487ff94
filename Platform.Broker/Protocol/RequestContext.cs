using System.Buffers;
using Platform.Broker.Security;

namespace Platform.Broker.Protocol;

/// <summary>Where a request came in: the address the client dialled (advertised back in Metadata) and the client's address.</summary>
internal sealed record ConnectionInfo(string LocalHost, int LocalPort, string RemoteHost, long Id)
{
    /// <summary>The connection's authentication state and cached ACL decisions (open to everything when security is off).</summary>
    public ConnectionSession Session { get; init; } = new(null);
}

/// <summary>
/// One request frame (rented from <see cref="ArrayPool{T}"/>, owned until the response is built) with its parsed
/// header. Produce appends slices of <see cref="Frame"/> directly, so the frame is not copied again.
/// </summary>
internal sealed class RequestContext : IDisposable
{
    private byte[]? _frame;

    public RequestContext(byte[] frame, int length, RequestHeader header, int bodyOffset, ConnectionInfo connection, long startTicks)
    {
        _frame = frame;
        Length = length;
        Header = header;
        BodyOffset = bodyOffset;
        Connection = connection;
        StartTicks = startTicks;
    }

    public byte[] Frame => _frame ?? throw new ObjectDisposedException(nameof(RequestContext));

    public int Length { get; }

    public RequestHeader Header { get; }

    public int BodyOffset { get; }

    public ConnectionInfo Connection { get; }

    public long StartTicks { get; }

    public short Version => Header.ApiVersion;

    public KafkaReader BodyReader() => new(Frame.AsSpan(0, Length), BodyOffset);

    public ResponseBuffer NewResponse(int capacity = 256) => new(Header.CorrelationId, capacity);

    public void Dispose()
    {
        var frame = Interlocked.Exchange(ref _frame, null);
        if (frame is not null)
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }
}
