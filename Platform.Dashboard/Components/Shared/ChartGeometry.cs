using System.Globalization;
using System.Text;
using Platform.Dashboard.Services;

namespace Platform.Dashboard.Components.Shared;

/// <summary>Turns points into SVG coordinates.</summary>
public static class ChartGeometry
{
    /// <summary>The "x,y x,y …" of a polyline of the points spread over the box, time on x (oldest left).</summary>
    public static string Polyline(IReadOnlyList<Point> points, double width, double height, double min, double? max, double pad)
    {
        if (points.Count == 0)
        {
            return string.Empty;
        }

        var from = points[0].TimeUnixMs;
        var to = points[^1].TimeUnixMs;
        var top = max ?? points.Max(p => p.Value);
        return Polyline(points, from, to, min, top <= min ? min + 1 : top, pad, pad, width - pad, height - pad);
    }

    /// <summary>The points mapped into the rectangle (left, top)–(right, bottom), time between from and to, values between min and max.</summary>
    public static string Polyline(IReadOnlyList<Point> points, long from, long to, double min, double max, double left, double top, double right, double bottom)
    {
        var text = new StringBuilder(points.Count * 12);
        var span = Math.Max(1, to - from);
        var range = max - min;
        if (range <= 0)
        {
            range = 1;
        }

        foreach (var p in points)
        {
            if (p.TimeUnixMs < from || p.TimeUnixMs > to)
            {
                continue;
            }

            var x = left + ((right - left) * (p.TimeUnixMs - from) / span);
            var y = bottom - ((bottom - top) * (Math.Clamp(p.Value, min, max) - min) / range);
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(x.ToString("0.#", CultureInfo.InvariantCulture)).Append(',').Append(y.ToString("0.#", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>A "nice" upper bound for an axis (1, 2, 2.5, 5 × a power of ten) at or above the value.</summary>
    public static double NiceMax(double value)
    {
        if (value <= 0 || !double.IsFinite(value))
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }
}
