using System.Globalization;

namespace Platform.Dashboard.Components.Shared;

/// <summary>How numbers are written on the pages.</summary>
public static class Format
{
    private static readonly string[] ByteUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    public static string Percent(double? ratio) =>
        ratio is { } r ? (r * 100).ToString(r is > 0 and < 0.1 ? "0.0" : "0", CultureInfo.InvariantCulture) + " %" : "–";

    public static string Bytes(double? bytes)
    {
        if (bytes is not { } b)
        {
            return "–";
        }

        var unit = 0;
        while (Math.Abs(b) >= 1024 && unit < ByteUnits.Length - 1)
        {
            b /= 1024;
            unit++;
        }

        return b.ToString(Math.Abs(b) >= 100 || unit == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + ByteUnits[unit];
    }

    public static string BytesPerSecond(double? bytes) => bytes is null ? "–" : Bytes(bytes) + "/s";

    public static string Number(double? value) =>
        value is { } v ? v.ToString(Math.Abs(v) >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture) : "–";

    public static string Age(long milliseconds) => Age(TimeSpan.FromMilliseconds(milliseconds));

    public static string Age(TimeSpan age) =>
        age < TimeSpan.Zero ? "0 s"
        : age.TotalSeconds < 60 ? $"{(int)age.TotalSeconds} s"
        : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} min"
        : age.TotalHours < 48 ? $"{(int)age.TotalHours} h"
        : $"{(int)age.TotalDays} d";

    /// <summary>Writes a value in the way its unit asks (UCUM: "1" ratio, "By" bytes, "By/s" bytes per second).</summary>
    public static string Value(double? value, ValueKind kind) => kind switch
    {
        ValueKind.Ratio => Percent(value),
        ValueKind.Bytes => Bytes(value),
        ValueKind.BytesPerSecond => BytesPerSecond(value),
        _ => Number(value),
    };

    public static string Time(long unixMs, bool withSeconds = true) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString(withSeconds ? "HH:mm:ss" : "HH:mm", CultureInfo.InvariantCulture);

    /// <summary>A moment as UTC "MM-dd HH:mm:ss".</summary>
    public static string Time(DateTimeOffset at) =>
        at.UtcDateTime.ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>A label matcher's operator as written in rules: =, !=, =~, !~.</summary>
    public static string Op(Platform.Telemetry.Alerts.MatchOperator op) => op switch
    {
        Platform.Telemetry.Alerts.MatchOperator.Equal => "=",
        Platform.Telemetry.Alerts.MatchOperator.NotEqual => "!=",
        Platform.Telemetry.Alerts.MatchOperator.Regex => "=~",
        _ => "!~",
    };
}
