using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Platform.Broker.Metrics;
using Platform.Broker.Protocol;
using Platform.Broker.Security;

namespace Platform.Broker.Network;

/// <summary>
/// Accepts TCP connections on the Kafka listener and runs one <see cref="KafkaConnection"/> per client, up to
/// <see cref="BrokerOptions.MaxConnections"/> (further ones are closed at once, with a log line and a metric).
/// </summary>
internal sealed partial class KafkaListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly RequestDispatcher _dispatcher;
    private readonly BrokerOptions _options;
    private readonly BrokerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, KafkaConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private readonly Task _timeoutLoop;
    private readonly RequestByteBudget _budget;
    private long _nextId;

    private readonly BrokerSecurity? _security;

    public KafkaListener(IPEndPoint endpoint, RequestDispatcher dispatcher, BrokerOptions options, BrokerMetrics metrics, BrokerSecurity? security, ILogger logger)
    {
        _security = security;
        _dispatcher = dispatcher;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _budget = new RequestByteBudget(options.MaxQueuedRequestBytes);
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }

            _socket.Bind(endpoint);
            _socket.Listen(512);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
        _timeoutLoop = TimeoutLoopAsync();
    }

    /// <summary>Bytes of requests read and not yet answered, over every connection.</summary>
    public long QueuedRequestBytes => _budget.Used;

    /// <summary>Bytes of Fetch answers built and not yet written, over every connection.</summary>
    public ResponseByteGauge FetchResponseBytes => _dispatcher.FetchAnswers;

    public IPEndPoint LocalEndPoint { get; }

    public int ConnectionCount => _connections.Count;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _socket.Dispose();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        await _timeoutLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var connection in _connections.Values)
        {
            connection.Abort();
        }

        var all = _connections.Values.Select(c => c.Completion).ToArray();
        await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(_logger, ex.Message);
                continue;
            }

            if (_connections.Count >= _options.MaxConnections)
            {
                _metrics.RejectedConnections.Inc();
                LogTooManyConnections(_logger, client.RemoteEndPoint?.ToString() ?? "unknown", _options.MaxConnections);
                client.Dispose();
                continue;
            }

            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextId);
            var connection = new KafkaConnection(client, id, _dispatcher, _options, _metrics, _security, _budget, _logger, _stopping.Token);
            _metrics.Connections.Inc();
            _connections[id] = connection;
            connection.Completion = RunConnectionAsync(connection);
        }
    }

    /// <summary>Closes idle connections, connections stuck in the middle of a frame and connections whose answers cannot be sent (checked 4 times per shorter timeout, at most every second).</summary>
    private async Task TimeoutLoopAsync()
    {
        var shortest = _options.ConnectionIdleTimeout < _options.FrameTimeout ? _options.ConnectionIdleTimeout : _options.FrameTimeout;
        var period = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                foreach (var connection in _connections.Values)
                {
                    connection.CheckTimeouts(now);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RunConnectionAsync(KafkaConnection connection)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync();
        }
        catch (Exception ex)
        {
            LogConnectionFailed(_logger, connection.Info.Id, ex);
        }
        finally
        {
            _metrics.Connections.Dec();
            _connections.TryRemove(connection.Info.Id, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused connection from {Remote}: the limit of {Max} connections is reached")]
    private static partial void LogTooManyConnections(ILogger logger, string remote, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {Id} failed")]
    private static partial void LogConnectionFailed(ILogger logger, long id, Exception exception);
}
