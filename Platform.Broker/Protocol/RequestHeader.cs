namespace Platform.Broker.Protocol;

/// <summary>
/// Request header v1 (RequestHeader.json): api_key i16, api_version i16, correlation_id i32, client_id nullable
/// string. Header v2 (flexible requests — here only ApiVersions v3+ and SaslAuthenticate v2) adds a tagged-field section after client_id.
/// </summary>
internal readonly record struct RequestHeader(short ApiKey, short ApiVersion, int CorrelationId, string? ClientId)
{
    /// <summary>
    /// Parses the header; returns the reader positioned at the request body. With a <paramref name="clientIds"/> cache a
    /// connection's repeated client id is decoded once.
    /// </summary>
    public static RequestHeader Read(ref KafkaReader reader, ClientIdCache? clientIds = null)
    {
        var apiKey = reader.ReadInt16();
        var apiVersion = reader.ReadInt16();
        var correlationId = reader.ReadInt32();
        var clientId = clientIds is null ? reader.ReadNullableString() : clientIds.Read(ref reader);
        var flexible = (apiKey == (short)Protocol.ApiKey.ApiVersions && apiVersion >= 3) || (apiKey == (short)Protocol.ApiKey.SaslAuthenticate && apiVersion >= 2);
        if (flexible && ApiVersionTable.IsSupported(apiKey, apiVersion))
        {
            reader.SkipTaggedFields();
        }

        return new RequestHeader(apiKey, apiVersion, correlationId, clientId);
    }
}

/// <summary>The last client id seen on a connection, so the same bytes are not decoded into a new string per request.</summary>
internal sealed class ClientIdCache
{
    private byte[] _bytes = [];
    private string? _value;

    public string? Read(ref KafkaReader reader)
    {
        var (offset, length) = reader.ReadShortBytesRange();
        if (offset < 0)
        {
            return null;
        }

        var bytes = reader.Slice(offset, length);
        if (_value is null || !bytes.SequenceEqual(_bytes))
        {
            _bytes = bytes.ToArray();
            _value = System.Text.Encoding.UTF8.GetString(bytes);
        }

        return _value;
    }
}
