using Microsoft.Extensions.Logging;
using Platform.Broker.Security;
using Platform.Broker.Groups;
using Platform.Broker.Storage;

namespace Platform.Broker.Protocol;

/// <summary>
/// Routes each request to its API's handler (one partial file per concern). A handler decodes the body with a
/// <see cref="KafkaReader"/> (throwing <see cref="KafkaProtocolException"/> on malformed input, which closes the
/// connection), does the work, and encodes the response into a <see cref="ResponseBuffer"/>; null means no response
/// (Produce with acks=0). The synchronous part of every handler runs in the order requests arrived.
/// </summary>
internal sealed partial class RequestDispatcher
{
    private readonly LogManager _log;
    private readonly GroupCoordinator _groups;
    private readonly BrokerOptions _options;
    private readonly ILogger _logger;
    private readonly (string Host, int Port)? _advertised;

    public RequestDispatcher(LogManager log, GroupCoordinator groups, BrokerOptions options, ILogger logger)
    {
        _log = log;
        _groups = groups;
        _options = options;
        _logger = logger;
        _advertised = options.AdvertisedListen is { Length: > 0 } advertised ? ParseHostPort(advertised) : null;
        FetchAnswers = new Network.ResponseByteGauge(options.MaxQueuedFetchBytes);
    }

    /// <summary>The broker-wide budget of Fetch answers built and not yet sent (the connections give their bytes back).</summary>
    internal Network.ResponseByteGauge FetchAnswers { get; }

    /// <summary>
    /// Splits <c>host:port</c> (an IPv6 host in brackets); throws <see cref="ArgumentException"/> for anything else or a
    /// port outside 1–65535.
    /// </summary>
    internal static (string Host, int Port) ParseHostPort(string value) =>
        HostPort.TryParse(value, 1, out var host, out var port)
            ? (host, port)
            : throw new ArgumentException($"AdvertisedListen must be host:port with a host and a port from 1 to 65535, was '{value}'", nameof(value));

    /// <summary>The address Metadata and FindCoordinator hand out: AdvertisedListen, or else the one this client dialled.</summary>
    private (string Host, int Port) AdvertisedAddress(RequestContext ctx) =>
        _advertised ?? (ctx.Connection.LocalHost, ctx.Connection.LocalPort);

    public ValueTask<ResponseBuffer?> DispatchAsync(RequestContext ctx, CancellationToken cancellationToken)
    {
        var header = ctx.Header;
        if (header.ApiKey == (short)ApiKey.ApiVersions)
        {
            return new(ApiVersions(ctx));
        }

        if (header.ApiVersion == ConnectionSession.RawTokenVersion && header.ApiKey == (short)ApiKey.SaslAuthenticate)
        {
            return SaslRawTokenAsync(ctx, cancellationToken);
        }

        if (!ApiVersionTable.IsSupported(header.ApiKey, header.ApiVersion))
        {
            LogUnsupported(_logger, header.ApiKey, header.ApiVersion, header.ClientId);
            return new(UnsupportedVersion(ctx));
        }

        return (ApiKey)header.ApiKey switch
        {
            ApiKey.Produce => ProduceAsync(ctx, cancellationToken),
            ApiKey.Fetch => FetchAsync(ctx, cancellationToken),
            ApiKey.ListOffsets => new(ListOffsets(ctx)),
            ApiKey.Metadata => new(Metadata(ctx)),
            ApiKey.OffsetCommit => OffsetCommitAsync(ctx, cancellationToken),
            ApiKey.OffsetFetch => new(OffsetFetch(ctx)),
            ApiKey.FindCoordinator => new(FindCoordinator(ctx)),
            ApiKey.JoinGroup => JoinGroupAsync(ctx, cancellationToken),
            ApiKey.Heartbeat => new(Heartbeat(ctx)),
            ApiKey.LeaveGroup => new(LeaveGroup(ctx)),
            ApiKey.SyncGroup => SyncGroupAsync(ctx, cancellationToken),
            ApiKey.DescribeGroups => new(DescribeGroups(ctx)),
            ApiKey.ListGroups => new(ListGroups(ctx)),
            ApiKey.CreateTopics => new(CreateTopics(ctx)),
            ApiKey.DeleteTopics => new(DeleteTopics(ctx)),
            ApiKey.InitProducerId => new(InitProducerId(ctx)),
            ApiKey.DescribeConfigs => new(DescribeConfigs(ctx)),
            ApiKey.AlterConfigs => new(AlterConfigs(ctx)),
            ApiKey.IncrementalAlterConfigs => new(IncrementalAlterConfigs(ctx)),
            ApiKey.SaslHandshake => new(SaslHandshake(ctx)),
            ApiKey.SaslAuthenticate => SaslAuthenticateAsync(ctx, cancellationToken),
            _ => new(UnsupportedVersion(ctx)),
        };
    }

    /// <summary>
    /// An unknown API key or an unsupported version: the response header and an int16 UNSUPPORTED_VERSION, which is
    /// where the error code sits in the v0 layout of the ApiVersions response (what clients probe with).
    /// </summary>
    private static ResponseBuffer UnsupportedVersion(RequestContext ctx)
    {
        var w = ctx.NewResponse(16);
        w.WriteInt16(ErrorCode.UnsupportedVersion);
        return w;
    }

    /// <summary>Throws when the body has bytes left after the last field: the request does not match its version's schema.</summary>
    private static void EndOfBody(ref KafkaReader reader, RequestContext ctx)
    {
        if (reader.Remaining != 0)
        {
            KafkaProtocolException.Throw($"{(ApiKey)ctx.Header.ApiKey} v{ctx.Version}: {reader.Remaining} unexpected bytes after the last field");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Unsupported API key {ApiKey} version {ApiVersion} from client '{ClientId}': answered UNSUPPORTED_VERSION")]
    private static partial void LogUnsupported(ILogger logger, short apiKey, short apiVersion, string? clientId);
}
