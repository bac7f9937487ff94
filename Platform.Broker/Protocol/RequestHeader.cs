namespace Platform.Broker.Protocol;

/// <summary>
/// Request header v1 (RequestHeader.json): api_key i16, api_version i16, correlation_id i32, client_id nullable
/// string. Header v2 (flexible requests — here only ApiVersions v3+) adds a tagged-field section after client_id.
/// </summary>
internal readonly record struct RequestHeader(short ApiKey, short ApiVersion, int CorrelationId, string? ClientId)
{
    /// <summary>Parses the header; returns the reader positioned at the request body.</summary>
    public static RequestHeader Read(ref KafkaReader reader)
    {
        var apiKey = reader.ReadInt16();
        var apiVersion = reader.ReadInt16();
        var correlationId = reader.ReadInt32();
        var clientId = reader.ReadNullableString();
        if (apiKey == (short)Protocol.ApiKey.ApiVersions && apiVersion >= 3 && ApiVersionTable.IsSupported(apiKey, apiVersion))
        {
            reader.SkipTaggedFields();
        }

        return new RequestHeader(apiKey, apiVersion, correlationId, clientId);
    }
}
