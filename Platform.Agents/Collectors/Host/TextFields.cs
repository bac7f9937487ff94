using System.Globalization;

namespace Platform.Agents.Collectors.Host;

/// <summary>Walks the whitespace-separated fields of one line of a /proc or /sys file without allocating.</summary>
internal ref struct TextFields
{
    private ReadOnlySpan<char> _rest;

    public TextFields(ReadOnlySpan<char> line) => _rest = line;

    /// <summary>The next field, or false at the end of the line.</summary>
    public bool TryNext(out ReadOnlySpan<char> field)
    {
        _rest = _rest.TrimStart();
        if (_rest.IsEmpty)
        {
            field = default;
            return false;
        }

        var end = _rest.IndexOfAny(" \t\r\n");
        if (end < 0)
        {
            field = _rest;
            _rest = default;
        }
        else
        {
            field = _rest[..end];
            _rest = _rest[end..];
        }

        return true;
    }

    /// <summary>The next field as an unsigned integer; false when missing or not a number.</summary>
    public bool TryNextUInt64(out ulong value)
    {
        value = 0;
        return TryNext(out var field) && ulong.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The next field as a double; false when missing or not a number.</summary>
    public bool TryNextDouble(out double value)
    {
        value = 0;
        return TryNext(out var field) && double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Skips <paramref name="count"/> fields; false when the line is shorter.</summary>
    public bool Skip(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (!TryNext(out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The unread rest of the line.</summary>
    public readonly ReadOnlySpan<char> Rest => _rest.Trim();
}
