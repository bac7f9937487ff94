using Platform.Dashboard.Services;

namespace Platform.Dashboard.Hubs;

/// <summary>The points of one series sent in a live update (those newer than the previous update).</summary>
public sealed record SeriesPoints(string Id, string Name, string Unit, IReadOnlyList<KeyValuePair<string, string>> Labels, IReadOnlyList<Point> Points);

/// <summary>What a client watching a host receives, at most once per display interval.</summary>
/// <remarks>LastSeenUnixMs: The time of the host's newest sample.</remarks>
/// <remarks>SentUnixMs: When the server sent the update (its clock).</remarks>
public sealed record HostUpdate(string HostId, string Name, HostHealth Health, long LastSeenUnixMs, long SentUnixMs, KeyNumbers Numbers, IReadOnlyList<SeriesPoints> Series);

/// <summary>One host in a fleet update.</summary>
public sealed record HostSummary(string HostId, string Name, HostHealth Health, long LastSeenUnixMs, KeyNumbers Numbers, IReadOnlyDictionary<string, string> Labels);

/// <summary>What a client watching the fleet receives: the counts and the hosts that changed since the previous update
/// (every host in the first update after watching).</summary>
public sealed record FleetUpdate(long SentUnixMs, FleetCounts Counts, IReadOnlyList<HostSummary> Hosts);
