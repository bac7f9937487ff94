using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.EndToEnd.Tests;

/// <summary>A minimal HTTP receiver on 127.0.0.1:0 that answers 200 to every POST and keeps the bodies.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public WebhookReceiver()
    {
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook");

    public ConcurrentQueue<string> Bodies { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[64 * 1024];
            var received = 0;
            int headerEnd;
            while ((headerEnd = IndexOfHeaderEnd(buffer, received)) < 0)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(received), _stop.Token);
                if (n == 0)
                {
                    return;
                }

                received += n;
            }

            var headers = Encoding.ASCII.GetString(buffer, 0, headerEnd);
            var length = headers.Split("\r\n").Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(h => int.Parse(h["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            while (received < headerEnd + 4 + length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(received), _stop.Token);
                if (n == 0)
                {
                    break;
                }

                received += n;
            }

            Bodies.Enqueue(Encoding.UTF8.GetString(buffer, headerEnd + 4, Math.Max(0, received - headerEnd - 4)));
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), _stop.Token);
        }
    }

    private static int IndexOfHeaderEnd(byte[] buffer, int length) => buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
