using System.Net.Sockets;
using System.Text.Json;

namespace Platform.Agents.Collectors.Containers;

/// <summary>
/// Container names from the Docker Engine API (<c>GET /containers/json?all=1</c> on its unix socket), asked
/// again when a container id without a name shows up, at most every 5 seconds.
/// </summary>
internal sealed class DockerNames : IDisposable
{
    private static readonly TimeSpan MinRefresh = TimeSpan.FromSeconds(5);
    private readonly HttpClient _client;
    private Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private long _lastRefresh = long.MinValue;

    public DockerNames(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(handler) { BaseAddress = new Uri("http://docker"), Timeout = TimeSpan.FromSeconds(2) };
    }

    /// <summary>The container's name without Docker's leading '/', or null when unknown.</summary>
    public string? NameOf(string id) => _names.GetValueOrDefault(id);

    /// <summary>Successful refreshes (tests).</summary>
    public int Refreshes { get; private set; }

    public async Task RefreshIfUnknownAsync(IReadOnlyList<(string RelativePath, string Id)> containers, CancellationToken cancellationToken)
    {
        var unknown = false;
        foreach (var (_, id) in containers)
        {
            if (!_names.ContainsKey(id))
            {
                unknown = true;
                break;
            }
        }

        if (!unknown || (_lastRefresh != long.MinValue && TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastRefresh) < MinRefresh))
        {
            return;
        }

        _lastRefresh = Environment.TickCount64;
        try
        {
            using var response = await _client.GetAsync(new Uri("/containers/json?all=1", UriKind.Relative), cancellationToken);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            _names = Parse(await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken));
            Refreshes++;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or JsonException or TaskCanceledException)
        {
            // Docker not answering: containers keep their cgroup path as name until it does.
        }
    }

    internal static Dictionary<string, string> Parse(JsonDocument document)
    {
        using (document)
        {
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return names;
            }

            foreach (var container in document.RootElement.EnumerateArray())
            {
                if (container.TryGetProperty("Id", out var id) && id.ValueKind == JsonValueKind.String
                    && container.TryGetProperty("Names", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
                {
                    var name = list[0].GetString() ?? "";
                    names[id.GetString()!] = name.TrimStart('/');
                }
            }

            return names;
        }
    }

    public void Dispose() => _client.Dispose();
}
