using System.Globalization;

namespace Platform.Broker;

/// <summary>The broker's one reading of a <c>host:port</c> setting (an IPv6 host in brackets: <c>[::1]:9092</c>).</summary>
internal static class HostPort
{
    /// <summary>
    /// Splits <paramref name="value"/> at its last colon; false when there is no host or the port is not a number from
    /// <paramref name="minPort"/> to 65535.
    /// </summary>
    public static bool TryParse(string value, int minPort, out string host, out int port)
    {
        var colon = value.LastIndexOf(':');
        host = colon > 0 ? value[..colon].Trim('[', ']') : "";
        if (host.Length == 0
            || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            || port < minPort || port > 65535)
        {
            port = 0;
            return false;
        }

        return true;
    }

    /// <summary>The host part (the whole value when it has no port).</summary>
    public static string HostOf(string value)
    {
        var colon = value.LastIndexOf(':');
        return (colon > 0 ? value[..colon] : value).Trim('[', ']');
    }
}
