using System.Text;

namespace Platform.Telemetry.Decoding;

/// <summary>
/// Strings by their UTF-8 bytes (open addressing, linear probing), so that the same host ids, names and label values
/// arriving every second cost a hash and a compare, not a new string. Bounded: when it holds
/// <see cref="MaxEntries"/> strings (a fleet inventing label values without end) it starts over. Not thread-safe.
/// </summary>
internal sealed class Utf8StringTable
{
    internal const int MaxEntries = 1 << 17;
    private Entry[] _slots = new Entry[1024];
    private int _count;

    public int Count => _count;

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        var hash = Hash(utf8);
        var mask = _slots.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.Bytes is null)
            {
                var text = Encoding.UTF8.GetString(utf8);
                if (_count >= MaxEntries)
                {
                    Array.Clear(_slots);
                    _count = 0;
                }

                Insert(new Entry(hash, utf8.ToArray(), text));
                return text;
            }

            if (slot.Hash == hash && utf8.SequenceEqual(slot.Bytes))
            {
                return slot.Text;
            }
        }
    }

    internal static int Hash(ReadOnlySpan<byte> utf8)
    {
        var hash = default(HashCode);
        hash.AddBytes(utf8);
        return hash.ToHashCode() & int.MaxValue;
    }

    private void Insert(Entry entry)
    {
        if ((_count + 1) * 2 > _slots.Length)
        {
            Grow();
        }

        var mask = _slots.Length - 1;
        var i = entry.Hash & mask;
        while (_slots[i].Bytes is not null)
        {
            i = (i + 1) & mask;
        }

        _slots[i] = entry;
        _count++;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Entry[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var entry in old)
        {
            if (entry.Bytes is null)
            {
                continue;
            }

            var i = entry.Hash & mask;
            while (_slots[i].Bytes is not null)
            {
                i = (i + 1) & mask;
            }

            _slots[i] = entry;
        }
    }

    private readonly record struct Entry(int Hash, byte[] Bytes, string Text);
}
