using System.Collections.Concurrent;
using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors;

/// <summary>
/// Shares one immutable-by-convention <see cref="Label"/> instance per (name, value): a series' labels are
/// the same every tick, so the tick allocates samples but not labels. Serialisation only reads them.
/// </summary>
internal static class LabelCache
{
    private const int MaxEntries = 50_000;
    private static readonly ConcurrentDictionary<(string Name, string Value), Label> Cache = new();

    public static Label Get(string name, string value)
    {
        if (Cache.TryGetValue((name, value), out var label))
        {
            return label;
        }

        label = new Label { Name = name, Value = value };
        if (Cache.Count < MaxEntries)
        {
            Cache.TryAdd((name, value), label);
        }

        return label;
    }
}
