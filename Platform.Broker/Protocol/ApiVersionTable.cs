namespace Platform.Broker.Protocol;

/// <summary>
/// The versions advertised in ApiVersions (see shared/kafka-protocol/NOTES.md): every API only in its non-flexible
/// versions, so no compact strings or tagged fields are needed outside the ApiVersions v3 answer and SaslAuthenticate v2.
/// </summary>
internal static class ApiVersionTable
{
    internal readonly record struct Range(ApiKey Key, short Min, short Max);

    internal static readonly Range[] Supported =
    [
        new(ApiKey.Produce, 3, 8),
        new(ApiKey.Fetch, 4, 11),
        new(ApiKey.ListOffsets, 0, 5),
        new(ApiKey.Metadata, 1, 8),
        new(ApiKey.OffsetCommit, 2, 7),
        new(ApiKey.OffsetFetch, 1, 5),
        new(ApiKey.FindCoordinator, 0, 2),
        new(ApiKey.JoinGroup, 0, 5),
        new(ApiKey.Heartbeat, 0, 3),
        new(ApiKey.LeaveGroup, 0, 1),
        new(ApiKey.SyncGroup, 0, 3),
        new(ApiKey.DescribeGroups, 0, 4),
        new(ApiKey.ListGroups, 0, 2),
        new(ApiKey.ApiVersions, 0, 3),
        new(ApiKey.CreateTopics, 0, 4),
        new(ApiKey.DeleteTopics, 0, 3),
        new(ApiKey.InitProducerId, 0, 1),
        new(ApiKey.DescribeConfigs, 0, 2),
        new(ApiKey.AlterConfigs, 0, 1),
        new(ApiKey.IncrementalAlterConfigs, 0, 0),
        new(ApiKey.SaslHandshake, 0, 1),
        new(ApiKey.SaslAuthenticate, 0, 2),
    ];

    /// <summary>The highest API key in <see cref="Supported"/> (sizes the per-key tables).</summary>
    internal const int MaxApiKey = 44;

    private static readonly (short Min, short Max)[] ByKey = BuildByKey();

    /// <summary>True when <paramref name="apiKey"/> is served at <paramref name="version"/>.</summary>
    internal static bool IsSupported(short apiKey, short version)
    {
        if ((uint)apiKey >= (uint)ByKey.Length)
        {
            return false;
        }

        var (min, max) = ByKey[apiKey];
        return max >= 0 && version >= min && version <= max;
    }

    private static (short, short)[] BuildByKey()
    {
        var table = new (short, short)[MaxApiKey + 1];
        Array.Fill(table, ((short)-1, (short)-1));
        foreach (var r in Supported)
        {
            table[(int)r.Key] = (r.Min, r.Max);
        }

        return table;
    }
}
