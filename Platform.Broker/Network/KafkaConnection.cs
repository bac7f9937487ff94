using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Platform.Broker.Metrics;
using Platform.Broker.Protocol;
using Platform.Broker.Security;

namespace Platform.Broker.Network;

/// <summary>
/// One client connection: a read loop over a <see cref="PipeReader"/> that cuts frames (size checked from the header
/// before the body is buffered), starts each request's handler in arrival order (a Fetch once the previous Fetch's
/// answer is written), and queues the pending responses in a bounded channel (the in-flight limit: reading stops while
/// it is full); a write loop sends the responses in request order, against a write deadline. Malformed input closes
/// this connection only, with the reason logged.
/// </summary>
internal sealed partial class KafkaConnection
{
    private const int WriteChunkBytes = 1024 * 1024; // a larger answer is flushed in chunks, each with its own deadline

    private readonly Socket _socket;
    private readonly RequestDispatcher _dispatcher;
    private readonly BrokerOptions _options;
    private readonly BrokerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConnectionInfo _info;
    private readonly Channel<Pending> _pending;
    private readonly CancellationTokenSource _closed;
    private readonly ClientIdCache _clientIds = new();
    private readonly BrokerSecurity? _security;
    private readonly ConnectionSession _session;
    private readonly RequestByteBudget _budget;
    private readonly ResponseByteGauge _fetchBytes;

    // Timeouts, checked by the listener's sweep (CheckTimeouts) from other threads: the last time bytes came in or an
    // answer went out, when the frame now being received started (0: none), and requests read and not yet answered.
    private long _lastActivityTicks = Stopwatch.GetTimestamp();
    private long _frameStartTicks;
    private long _writeStartTicks;
    private int _inFlight;
    private int _closing; // 1 once a timeout or Abort has closed the connection: reported once, not on every sweep

    // Read loop only: the previous Fetch's "answer written" signal; a Fetch is handled only once it is set.
    private Task _previousFetchWritten = Task.CompletedTask;

    // Write loop only: answers written to the pipe and not yet flushed (still in flight), and the Fetch among them.
    private int _unflushed;
    private long _unflushedFetchBytes;
    private TaskCompletionSource? _unflushedFetch;

    /// <summary>A request in flight; <paramref name="FetchWritten"/> (Fetch only) is set once its answer is flushed.</summary>
    private readonly record struct Pending(RequestContext Context, ValueTask<ResponseBuffer?> Response, long ReservedBytes, TaskCompletionSource? FetchWritten);

    public KafkaConnection(Socket socket, long id, RequestDispatcher dispatcher, BrokerOptions options, BrokerMetrics metrics, BrokerSecurity? security, RequestByteBudget budget, ILogger logger, CancellationToken stopping)
    {
        _budget = budget;
        _fetchBytes = dispatcher.FetchAnswers;
        _security = security;
        _socket = socket;
        _dispatcher = dispatcher;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        var local = (System.Net.IPEndPoint)socket.LocalEndPoint!;
        var remote = socket.RemoteEndPoint as System.Net.IPEndPoint;
        var localAddress = local.Address.IsIPv4MappedToIPv6 ? local.Address.MapToIPv4() : local.Address;
        var remoteAddress = remote is null ? "unknown" : (remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address).ToString();
        _session = new ConnectionSession(security);
        _info = new ConnectionInfo(localAddress.ToString(), local.Port, remoteAddress, id) { Session = _session };
        _pending = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, options.MaxInFlightRequestsPerConnection))
        {
            SingleReader = true,
            SingleWriter = true,
        });
        _closed = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    public ConnectionInfo Info => _info;

    /// <summary>Completes when the connection is closed and its resources released.</summary>
    public Task Completion { get; set; } = Task.CompletedTask;

    /// <summary>
    /// Closes the connection now (shutdown, a timeout): pending long polls are cancelled and the socket is closed, so a
    /// read or a flush stuck on a client that neither sends nor reads ends too.
    /// </summary>
    public void Abort()
    {
        Volatile.Write(ref _closing, 1);
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed on its own.
        }

        _socket.Close();
    }

    /// <summary>True for the first caller only: a connection is timed out (logged, counted) once.</summary>
    private bool TryStartClosing() => Interlocked.Exchange(ref _closing, 1) == 0;

    /// <summary>
    /// Closes the connection, with a logged reason, when it has been idle longer than
    /// <see cref="BrokerOptions.ConnectionIdleTimeout"/>, has spent longer than <see cref="BrokerOptions.FrameTimeout"/>
    /// on one frame, or could not send (a chunk of) its answers within it. Called periodically by the listener; a
    /// connection is reported once.
    /// </summary>
    public void CheckTimeouts(long nowTicks)
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return;
        }

        var writeStart = Volatile.Read(ref _writeStartTicks);
        if (writeStart != 0 && Stopwatch.GetElapsedTime(writeStart, nowTicks) > _options.FrameTimeout)
        {
            if (TryStartClosing())
            {
                _metrics.TimedOutConnections.Inc();
                LogWriteTimeout(_logger, _info.Id, _info.RemoteHost, _options.FrameTimeout);
                Abort();
            }

            return;
        }

        var frameStart = Volatile.Read(ref _frameStartTicks);
        if (frameStart != 0)
        {
            if (Stopwatch.GetElapsedTime(frameStart, nowTicks) > _options.FrameTimeout && TryStartClosing())
            {
                _metrics.TimedOutConnections.Inc();
                LogFrameTimeout(_logger, _info.Id, _info.RemoteHost, _options.FrameTimeout);
                Abort();
            }

            return;
        }

        if (Volatile.Read(ref _inFlight) == 0
            && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivityTicks), nowTicks) > _options.ConnectionIdleTimeout
            && TryStartClosing())
        {
            _metrics.TimedOutConnections.Inc();
            LogIdleTimeout(_logger, _info.Id, _info.RemoteHost, _options.ConnectionIdleTimeout);
            Abort();
        }
    }

    public async Task RunAsync()
    {
        LogOpened(_logger, _info.Id, _info.RemoteHost);
        await using var stream = await OpenStreamAsync();
        if (stream is null)
        {
            _closed.Dispose();
            LogClosed(_logger, _info.Id);
            return;
        }

        if (_session.Security is not null)
        {
            _ = CloseUnlessAuthenticatedAsync(_session.Security);
        }

        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024));
        var writeLoop = WriteLoopAsync(writer);
        try
        {
            await ReadLoopAsync(reader);
        }
        catch (KafkaProtocolException ex)
        {
            _metrics.ProtocolErrors.Inc();
            LogProtocolError(_logger, _info.Id, _info.RemoteHost, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogReadEnded(_logger, _info.Id, ex.Message);
        }
        finally
        {
            // The client closed its side or sent garbage: nobody reads answers any more, so requests still parked
            // (a long-polling Fetch, a JoinGroup waiting for a rebalance) are cancelled and the connection closes now.
            _pending.Writer.TryComplete();
            await _closed.CancelAsync();
        }

        try
        {
            await writeLoop;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogWriteEnded(_logger, _info.Id, ex.Message);
        }
        finally
        {
            await _closed.CancelAsync();

            // Requests the write loop never reached (it stopped on a closed socket): their frames and their share of
            // the broker-wide request budget are given back once their handlers end.
            DrainAfterFailure(_pending.Reader);
            _fetchBytes.Remove(_unflushedFetchBytes);
            _unflushedFetchBytes = 0;
            await reader.CompleteAsync();
            await writer.CompleteAsync();
            _closed.Dispose();
            LogClosed(_logger, _info.Id);
        }
    }

    /// <summary>The socket's stream, inside TLS when a certificate is configured; null when the TLS handshake failed.</summary>
    private async Task<Stream?> OpenStreamAsync()
    {
        var network = new NetworkStream(_socket, ownsSocket: true);
        if (_security?.Tls is not { } tls)
        {
            return network;
        }

        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        timeout.CancelAfter(_security.Options.HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(tls, timeout.Token);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _security.TlsFailed(_info.Id, _info.RemoteHost, ex.Message);
            await ssl.DisposeAsync();
            return null;
        }
    }

    /// <summary>Closes the connection when it has not authenticated within the handshake timeout.</summary>
    private async Task CloseUnlessAuthenticatedAsync(BrokerSecurity security)
    {
        try
        {
            await Task.Delay(security.Options.HandshakeTimeout, _closed.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }

        if (!_session.IsAuthenticated)
        {
            security.HandshakeTimedOut(_info.Id, _info.RemoteHost);
            Abort();
        }
    }

    private async Task ReadLoopAsync(PipeReader reader)
    {
        var token = _closed.Token;
        long reserved = 0; // bytes of the frame now being read, reserved from the broker-wide budget
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(token);
                Volatile.Write(ref _lastActivityTicks, Stopwatch.GetTimestamp());
                var buffer = result.Buffer;
                try
                {
                    while (FrameDecoder.TryReadFrameSize(buffer, _options.MaxFrameBytes, out var size, MinFrameSize))
                    {
                        if (reserved == 0)
                        {
                            // The size is known from the header: reserve it before the body is buffered. While the budget
                            // is spent this connection stops reading, and the frame clock does not run.
                            Volatile.Write(ref _frameStartTicks, 0);
                            var reserve = _budget.ReserveAsync((long)size + 4, token);
                            if (!reserve.IsCompletedSuccessfully)
                            {
                                Interlocked.Increment(ref _inFlight); // waiting on the broker is not idleness
                                try
                                {
                                    await reserve;
                                }
                                finally
                                {
                                    Interlocked.Decrement(ref _inFlight);
                                }
                            }

                            reserved = (long)size + 4;
                        }

                        if (!FrameDecoder.TryReadFrame(ref buffer, _options.MaxFrameBytes, out var frame, MinFrameSize))
                        {
                            break;
                        }

                        Volatile.Write(ref _frameStartTicks, 0);
                        var context = CreateContext(frame);
                        if (!_session.MayHandle(context.Header.ApiKey))
                        {
                            // Before (or after a failed) authentication only ApiVersions and the SASL exchange are served; as
                            // Kafka does, anything else closes the connection.
                            _session.Security!.RejectedBeforeAuthentication(_info.Id, _info.RemoteHost, context.Header.ApiKey);
                            context.Dispose();
                            return;
                        }

                        Interlocked.Increment(ref _inFlight);
                        var pending = context.Header.ApiKey == (short)ApiKey.Fetch
                            ? NextFetch(context, reserved, token)
                            : new Pending(context, Dispatch(context, token), reserved, null);
                        reserved = 0;
                        try
                        {
                            await _pending.Writer.WriteAsync(pending, token);
                        }
                        catch
                        {
                            _ = ReleaseWhenDoneAsync(pending);
                            throw;
                        }
                    }

                    if (result.IsCompleted)
                    {
                        if (!buffer.IsEmpty)
                        {
                            KafkaProtocolException.Throw($"connection closed in the middle of a frame ({buffer.Length} bytes left unread)");
                        }

                        return;
                    }

                    if (!buffer.IsEmpty && Volatile.Read(ref _frameStartTicks) == 0)
                    {
                        Volatile.Write(ref _frameStartTicks, Stopwatch.GetTimestamp());
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _frameStartTicks, 0);
            _budget.Release(reserved);
        }
    }

    /// <summary>A request header's minimum, or 1 for a bare SASL token after SaslHandshake v0 (no header).</summary>
    private int MinFrameSize => _session.ExpectsRawToken ? 1 : FrameDecoder.MinFrameSize;

    /// <summary>
    /// Copies the frame once into a pooled contiguous array (so decoders take the span fast path only): Produce hands
    /// slices of it to the log, which rewrites each batch's base offset in place, so the body has to be contiguous and
    /// writable anyway.
    /// </summary>
    private RequestContext CreateContext(ReadOnlySequence<byte> frame)
    {
        var length = (int)frame.Length;
        _metrics.BytesIn.Inc(length + 4);
        var array = ArrayPool<byte>.Shared.Rent(length);
        frame.CopyTo(array);
        try
        {
            if (_session.ExpectsRawToken)
            {
                // After SaslHandshake v0 the client sends bare SASL tokens, no request header.
                var raw = new RequestHeader((short)ApiKey.SaslAuthenticate, ConnectionSession.RawTokenVersion, 0, null);
                return new RequestContext(array, length, raw, 0, _info, Stopwatch.GetTimestamp());
            }

            var reader = new KafkaReader(array.AsSpan(0, length));
            var header = RequestHeader.Read(ref reader, _clientIds);
            return new RequestContext(array, length, header, reader.Position, _info, Stopwatch.GetTimestamp());
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(array);
            throw;
        }
    }

    /// <summary>
    /// A Fetch is handled only once the previous Fetch's answer on this connection has been written, so a client that
    /// pipelines many Fetches (each answer up to MaxFetchBytes) makes the broker hold one answer, not one per request.
    /// The read loop is not held up: later requests (heartbeats, commits) are read and handled meanwhile, and their
    /// answers leave in request order anyway. Kafka clients send one Fetch per connection at a time, so they lose nothing.
    /// </summary>
    private Pending NextFetch(RequestContext context, long reserved, CancellationToken token)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var previous = _previousFetchWritten;
        _previousFetchWritten = written.Task;
        return new Pending(context, DispatchFetchAsync(previous, context, token), reserved, written);
    }

    private async ValueTask<ResponseBuffer?> DispatchFetchAsync(Task previousWritten, RequestContext context, CancellationToken token)
    {
        if (!previousWritten.IsCompleted)
        {
            await previousWritten.WaitAsync(token);
        }

        return await _dispatcher.DispatchAsync(context, token);
    }

    private ValueTask<ResponseBuffer?> Dispatch(RequestContext context, CancellationToken token)
    {
        try
        {
            return _dispatcher.DispatchAsync(context, token);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<ResponseBuffer?>(ex);
        }
    }

    /// <summary>
    /// Sends the answers in request order. However it ends (the socket failed, the client stopped reading, a request
    /// could not be answered) it cancels the connection, so a read loop blocked on a full in-flight queue is released
    /// and the connection closes instead of holding its requests (and their budget) forever.
    /// </summary>
    private async Task WriteLoopAsync(PipeWriter writer)
    {
        try
        {
            await WriteAnswersAsync(writer);
        }
        finally
        {
            await _closed.CancelAsync();
        }
    }

    private async Task WriteAnswersAsync(PipeWriter writer)
    {
        var reader = _pending.Reader;
        var failed = false;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (reader.TryRead(out var pending))
            {
                if (_unflushed > 0 && !pending.Response.IsCompleted)
                {
                    // Answers already written go out before waiting on a long poll (or on a Fetch that waits for the
                    // previous Fetch's answer to be written).
                    bool open;
                    try
                    {
                        open = await FlushAnswersAsync(writer);
                    }
                    catch
                    {
                        _ = ReleaseWhenDoneAsync(pending);
                        throw;
                    }

                    if (!open)
                    {
                        _ = ReleaseWhenDoneAsync(pending);
                        return;
                    }
                }

                using var context = pending.Context;
                ResponseBuffer? response;
                try
                {
                    response = await pending.Response;
                }
                catch (KafkaProtocolException ex)
                {
                    _metrics.ProtocolErrors.Inc();
                    LogProtocolError(_logger, _info.Id, _info.RemoteHost, ex.Message);
                    response = null;
                    failed = true;
                }
                catch (OperationCanceledException)
                {
                    response = null;
                    failed = true;
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(_logger, _info.Id, context.Header.ApiKey, context.Header.ApiVersion, ex);
                    response = null;
                    failed = true;
                }

                // The request's bytes are no longer needed; it stays in flight (not idle) until its answer is flushed.
                _budget.Release(pending.ReservedBytes);
                _unflushed++;
                _metrics.RecordRequest(context.Header.ApiKey, Stopwatch.GetElapsedTime(context.StartTicks).TotalSeconds);
                if (failed)
                {
                    // A request that could not be answered ends the connection: answering later ones would break ordering.
                    await _closed.CancelAsync();
                    _socket.Close();
                    DrainAfterFailure(reader);
                    return;
                }

                if (pending.FetchWritten is not null)
                {
                    _unflushedFetch?.TrySetResult();
                    _unflushedFetch = pending.FetchWritten;
                    _unflushedFetchBytes += response?.HeldBytes ?? 0;
                }

                if (response is not null)
                {
                    using (response)
                    {
                        response.Complete();
                        _metrics.BytesOut.Inc(response.Length);
                        if (!await WriteAnswerAsync(writer, response.Memory))
                        {
                            return;
                        }
                    }
                }
            }

            if (!await FlushAnswersAsync(writer))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Sends the answers written so far; they are then no longer in flight. The flush runs against a deadline
    /// (FrameTimeout, checked by the listener's sweep): a client that stops reading its answers is closed instead of
    /// holding its connection forever. False when the connection is closing.
    /// </summary>
    private async ValueTask<bool> FlushAnswersAsync(PipeWriter writer)
    {
        var open = await FlushWithDeadlineAsync(writer);
        Volatile.Write(ref _lastActivityTicks, Stopwatch.GetTimestamp());
        Interlocked.Add(ref _inFlight, -_unflushed);
        _unflushed = 0;
        _fetchBytes.Remove(_unflushedFetchBytes);
        _unflushedFetchBytes = 0;
        _unflushedFetch?.TrySetResult();
        _unflushedFetch = null;
        return open;
    }

    /// <summary>
    /// Copies an answer into the pipe; a large one (a Fetch of many MiB) goes out a chunk at a time, each flush with its
    /// own deadline, so the write deadline asks for progress (1 MiB per FrameTimeout), not for a whole answer of up to
    /// MaxFetchBytes within it, and a slow but reading client is not closed.
    /// </summary>
    private async ValueTask<bool> WriteAnswerAsync(PipeWriter writer, ReadOnlyMemory<byte> answer)
    {
        while (answer.Length > WriteChunkBytes)
        {
            writer.Write(answer.Span[..WriteChunkBytes]);
            answer = answer[WriteChunkBytes..];
            if (!await FlushWithDeadlineAsync(writer))
            {
                return false;
            }
        }

        writer.Write(answer.Span);
        return true;
    }

    private async ValueTask<bool> FlushWithDeadlineAsync(PipeWriter writer)
    {
        Volatile.Write(ref _writeStartTicks, Stopwatch.GetTimestamp());
        var flush = await writer.FlushAsync();
        Volatile.Write(ref _writeStartTicks, 0);
        return !flush.IsCompleted && !flush.IsCanceled;
    }

    private void DrainAfterFailure(ChannelReader<Pending> reader)
    {
        while (reader.TryRead(out var pending))
        {
            _ = ReleaseWhenDoneAsync(pending);
        }
    }

    /// <summary>Ends a request's stay in flight: its bytes go back to the budget and the connection is active again.</summary>
    private readonly struct Answered(KafkaConnection connection, long reservedBytes) : IDisposable
    {
        public void Dispose()
        {
            connection._budget.Release(reservedBytes);
            Volatile.Write(ref connection._lastActivityTicks, Stopwatch.GetTimestamp());
            Interlocked.Decrement(ref connection._inFlight);
        }
    }

    private async Task ReleaseWhenDoneAsync(Pending pending)
    {
        using var done = new Answered(this, pending.ReservedBytes);
        try
        {
            var response = await pending.Response;
            if (response is not null)
            {
                _fetchBytes.Remove(response.HeldBytes);
            }

            response?.Dispose();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The connection is already closed for a logged reason; this request's own failure adds nothing.
        }
        finally
        {
            pending.Context.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id} from {Remote} opened")]
    private static partial void LogOpened(ILogger logger, long id, string remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id} closed")]
    private static partial void LogClosed(ILogger logger, long id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Id} from {Remote} closed: bad request: {Reason}")]
    private static partial void LogProtocolError(ILogger logger, long id, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {Id} from {Remote} closed: idle for more than {Timeout} (ConnectionIdleTimeout)")]
    private static partial void LogIdleTimeout(ILogger logger, long id, string remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Id} from {Remote} closed: a request frame was not complete within {Timeout} (FrameTimeout)")]
    private static partial void LogFrameTimeout(ILogger logger, long id, string remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Id} from {Remote} closed: an answer could not be sent within {Timeout} (FrameTimeout); the client stopped reading")]
    private static partial void LogWriteTimeout(ILogger logger, long id, string remote, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id}: read ended: {Reason}")]
    private static partial void LogReadEnded(ILogger logger, long id, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Id}: write ended: {Reason}")]
    private static partial void LogWriteEnded(ILogger logger, long id, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {Id}: handler for API {ApiKey} v{ApiVersion} failed; closing the connection")]
    private static partial void LogHandlerFailed(ILogger logger, long id, short apiKey, short apiVersion, Exception exception);
}
