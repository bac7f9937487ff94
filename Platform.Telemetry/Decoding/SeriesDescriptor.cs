using System.Text;

namespace Platform.Telemetry.Decoding;

/// <summary>
/// One distinct series as a <see cref="MetricBatchDecoder"/> has met it: a metric name, its unit and its labels —
/// everything about a sample but its value, time and kind, and independent of the host that sends it. The decoder
/// hands out one descriptor per distinct (name, labels), so consumers may key their per-series state by
/// <see cref="Id"/> (dense, from 0) or by reference instead of hashing strings.
/// </summary>
public sealed class SeriesDescriptor
{
    internal SeriesDescriptor(int id, string name, string unit, KeyValuePair<string, string>[] labels, string key)
    {
        Id = id;
        Name = name;
        Unit = unit;
        Labels = labels;
        Key = key;
    }

    /// <summary>Dense per decoder and <see cref="MetricBatchDecoder.Generation"/>, from 0.</summary>
    public int Id { get; }

    public string Name { get; }

    /// <summary>The unit the series was first seen with (UCUM, as in OpenTelemetry).</summary>
    public string Unit { get; }

    /// <summary>The labels, sorted by name (ordinal).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; }

    /// <summary>The canonical text of the series, <c>name{a="1",b="2"}</c> with labels sorted by name.</summary>
    public string Key { get; }

    /// <summary>The value of a label, or null.</summary>
    public string? Label(string name)
    {
        foreach (var label in Labels)
        {
            if (string.Equals(label.Key, name, StringComparison.Ordinal))
            {
                return label.Value;
            }
        }

        return null;
    }

    public override string ToString() => Key;

    /// <summary>The canonical text of a series: <c>name{a="1",b="2"}</c>, labels in the order given (sort them
    /// first), quotes in values escaped.</summary>
    public static string FormatKey(string name, IReadOnlyList<KeyValuePair<string, string>> sortedLabels)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(sortedLabels);
        if (sortedLabels.Count == 0)
        {
            return name;
        }

        var text = new StringBuilder(name).Append('{');
        for (var i = 0; i < sortedLabels.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(sortedLabels[i].Key).Append("=\"").Append(sortedLabels[i].Value.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        return text.Append('}').ToString();
    }
}
