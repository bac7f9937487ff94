using Google.Protobuf.Collections;
using Platform.Telemetry.V1;

namespace Platform.Dashboard.Services;

/// <summary>
/// Finds the <see cref="SeriesKey"/> of a sample without building its text: a hash of the name and the
/// labels (in any order) picks a cached key, which is then compared field by field. A host sends the same
/// few dozen series every second, so after its first batch no key is built again.
/// </summary>
public sealed class SeriesKeyCache
{
    private readonly Dictionary<int, SeriesKey> _keys = [];
    private readonly int _capacity;

    public SeriesKeyCache(int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    public int Count => _keys.Count;

    public SeriesKey Get(string name, RepeatedField<Label> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var hash = Hash(name, labels);
        if (_keys.TryGetValue(hash, out var key) && Matches(key, name, labels))
        {
            return key;
        }

        key = SeriesKey.Create(name, labels.Select(static l => KeyValuePair.Create(l.Name, l.Value)));
        if (_keys.Count >= _capacity)
        {
            // A host that invents series without end: start over rather than grow.
            _keys.Clear();
        }

        _keys[hash] = key;
        return key;
    }

    private static int Hash(string name, RepeatedField<Label> labels)
    {
        var hash = name.GetHashCode(StringComparison.Ordinal);
        var labelHash = 0;
        foreach (var label in labels)
        {
            // Sum: the same labels in another order hash alike.
            labelHash += HashCode.Combine(label.Name.GetHashCode(StringComparison.Ordinal), label.Value.GetHashCode(StringComparison.Ordinal));
        }

        return HashCode.Combine(hash, labelHash, labels.Count);
    }

    private static bool Matches(SeriesKey key, string name, RepeatedField<Label> labels)
    {
        if (key.Name != name || key.Labels.Count != labels.Count)
        {
            return false;
        }

        foreach (var label in labels)
        {
            if (key.Label(label.Name) != label.Value)
            {
                return false;
            }
        }

        return true;
    }
}
