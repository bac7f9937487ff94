using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Platform.Agents.Health;

/// <summary>
/// The agent's own Prometheus endpoint: <c>GET /metrics</c> (text format 0.0.4) and <c>GET /health</c>, on a
/// plain socket so the agent carries no web framework.
/// </summary>
internal sealed class HealthEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Agent _agent;
    private readonly CancellationTokenSource _stop = new();
    private Task? _accept;

    public HealthEndpoint(string listen, Agent agent)
    {
        var colon = listen.LastIndexOf(':');
        var host = listen[..colon].Trim('[', ']');
        var port = int.Parse(listen.AsSpan(colon + 1), CultureInfo.InvariantCulture);
        var address = host is "*" or "" ? IPAddress.Any : IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host)[0];
        _listener = new TcpListener(address, port);
        _agent = agent;
        _listener.Start();
        var bound = (IPEndPoint)_listener.LocalEndpoint;
        Endpoint = bound.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bound.Address}]:{bound.Port}" : $"{bound.Address}:{bound.Port}";
    }

    public string Endpoint { get; }

    public void Start() => _accept = Task.Run(AcceptAsync);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var buffer = new byte[4096];
                var received = 0;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                while (received < buffer.Length)
                {
                    var n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    received += n;
                    if (buffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8) >= 0)
                    {
                        break;
                    }
                }

                var request = Encoding.ASCII.GetString(buffer, 0, received);
                var path = request.Split(' ', 3) is [_, var p, _] ? p : "";
                var (status, contentType, body) = path switch
                {
                    "/metrics" => ("200 OK", "text/plain; version=0.0.4; charset=utf-8", Render()),
                    "/health" => ("200 OK", "text/plain; charset=utf-8", _agent.Counters.BrokerReachable ? "ok\n" : "degraded: broker unreachable, spooling\n"),
                    _ => ("404 Not Found", "text/plain; charset=utf-8", "not found\n"),
                };
                var bodyBytes = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n");
                await socket.SendAsync(head, SocketFlags.None);
                await socket.SendAsync(bodyBytes, SocketFlags.None);
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
            {
            }
        }
    }

    internal string Render()
    {
        var c = _agent.Counters;
        var text = new StringBuilder();
        Metric(text, "platform_agent_ticks_total", "counter", "Collection ticks.", c.Ticks);
        Metric(text, "platform_agent_collect_errors_total", "counter", "Unreadable sources, vanished containers, failed scrapes.", c.CollectErrors);
        Metric(text, "platform_agent_batches_spooled_total", "counter", "Batches written to the spool.", c.BatchesSpooled);
        Metric(text, "platform_agent_batches_published_total", "counter", "Batches acknowledged by the broker.", c.BatchesPublished);
        Metric(text, "platform_agent_publish_errors_total", "counter", "Failed deliveries (each is sent again from the spool).", c.PublishErrors);
        Metric(text, "platform_agent_spool_dropped_records_total", "counter", "Batches lost: deleted unsent by the spool's size bound, refused by the broker, or refused by a full queue.", c.SpoolDropped);
        Metric(text, "platform_agent_spool_errors_total", "counter", "Failed spool reads and commit-file writes (tried again after a back-off).", c.SpoolErrors);
        Metric(text, "platform_agent_spool_bytes", "gauge", "Bytes in the spool.", c.SpoolBytes);
        Metric(text, "platform_agent_spool_records", "gauge", "Batches waiting in the spool.", c.SpoolRecords);
        Metric(text, "platform_agent_log_records_total", "counter", "Log records read.", c.LogLines);
        Metric(text, "platform_agent_prometheus_samples_total", "counter", "Samples forwarded from scraped endpoints.", c.PrometheusSamples);
        Metric(text, "platform_agent_broker_reachable", "gauge", "1 when the last delivery succeeded.", c.BrokerReachable ? 1 : 0);
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        Metric(text, "process_cpu_seconds_total", "counter", "CPU time of the agent.", process.TotalProcessorTime.TotalSeconds);
        Metric(text, "process_resident_memory_bytes", "gauge", "Resident memory of the agent.", process.WorkingSet64);
        var gc = GC.GetGCMemoryInfo();
        Metric(text, "dotnet_gc_heap_bytes", "gauge", "Managed heap size after the last GC.", gc.HeapSizeBytes);
        Metric(text, "dotnet_gc_committed_bytes", "gauge", "Memory committed by the GC.", gc.TotalCommittedBytes);
        Metric(text, "dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap.", GC.GetTotalAllocatedBytes());
        Metric(text, "dotnet_gc_collections_total", "counter", "Generation 0 collections.", GC.CollectionCount(0));
        return text.ToString();
    }

    private static void Metric(StringBuilder text, string name, string type, string help, double value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_accept is not null)
        {
            await _accept;
        }

        _stop.Dispose();
    }
}
