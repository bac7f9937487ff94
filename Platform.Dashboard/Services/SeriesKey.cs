namespace Platform.Dashboard.Services;

/// <summary>A series of one host: the metric name and its labels, sorted by label name.</summary>
public sealed class SeriesKey : IEquatable<SeriesKey>
{
    private SeriesKey(string name, KeyValuePair<string, string>[] labels, string id)
    {
        Name = name;
        Labels = labels;
        Id = id;
    }

    public string Name { get; }

    /// <summary>The labels sorted by name (ordinal).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; }

    /// <summary>The canonical text of the series: <c>name{a="1",b="2"}</c>.</summary>
    public string Id { get; }

    public static SeriesKey Create(string name, IEnumerable<KeyValuePair<string, string>> labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(labels);
        var sorted = labels.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new SeriesKey(name, sorted, Format(name, sorted));
    }

    /// <summary>A key from labels already sorted and its canonical text (a decoder's series descriptor).</summary>
    internal static SeriesKey FromCanonical(string name, IReadOnlyList<KeyValuePair<string, string>> sortedLabels, string id) =>
        new(name, [.. sortedLabels], id);

    public static SeriesKey Create(string name, params (string Name, string Value)[] labels) =>
        Create(name, labels.Select(l => KeyValuePair.Create(l.Name, l.Value)));

    /// <summary>The value of a label, or null.</summary>
    public string? Label(string name)
    {
        foreach (var label in Labels)
        {
            if (label.Key == name)
            {
                return label.Value;
            }
        }

        return null;
    }

    public bool Equals(SeriesKey? other) => other is not null && other.Id == Id;

    public override bool Equals(object? obj) => Equals(obj as SeriesKey);

    public override int GetHashCode() => Id.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Id;

    private static string Format(string name, KeyValuePair<string, string>[] labels) =>
        Platform.Telemetry.Decoding.SeriesDescriptor.FormatKey(name, labels);
}
