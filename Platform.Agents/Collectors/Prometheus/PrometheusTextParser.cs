using System.Globalization;
using System.Text;
using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors.Prometheus;

/// <summary>
/// Parses the Prometheus text exposition format 0.0.4: <c># TYPE</c> lines give each family's type, sample
/// lines are <c>name{label="value",...} value [timestamp_ms]</c> with <c>\\</c>, <c>\"</c> and <c>\n</c> escapes in
/// label values and NaN / +Inf / -Inf values. Counters, and the _bucket, _count and _sum series of histograms
/// and summaries, become <see cref="MetricKind.Counter"/> samples; everything else gauges.
/// </summary>
internal static class PrometheusTextParser
{
    /// <summary>Parses <paramref name="text"/>; malformed lines are skipped and counted in the result.</summary>
    public static (List<Sample> Samples, int BadLines) Parse(string text, Label? instance)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var bad = 0;
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan(range).Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            if (line[0] == '#')
            {
                var fields = line[1..].TrimStart();
                if (fields.StartsWith("TYPE "))
                {
                    var rest = fields[5..].Trim();
                    var space = rest.IndexOf(' ');
                    if (space > 0)
                    {
                        types[rest[..space].ToString()] = rest[(space + 1)..].Trim().ToString();
                    }
                }

                continue;
            }

            var sample = ParseSample(line, types, instance);
            if (sample is null)
            {
                bad++;
            }
            else
            {
                samples.Add(sample);
            }
        }

        return (samples, bad);
    }

    internal static Sample? ParseSample(ReadOnlySpan<char> line, Dictionary<string, string> types, Label? instance)
    {
        var nameEnd = line.IndexOfAny('{', ' ', '\t');
        if (nameEnd <= 0)
        {
            return null;
        }

        var name = line[..nameEnd].ToString();
        var sample = new Sample { Name = name, Unit = "", Kind = KindOf(name, types) };
        var rest = line[nameEnd..];
        if (rest[0] == '{')
        {
            var i = 1;
            while (true)
            {
                while (i < rest.Length && (rest[i] == ' ' || rest[i] == ','))
                {
                    i++;
                }

                if (i >= rest.Length)
                {
                    return null;
                }

                if (rest[i] == '}')
                {
                    i++;
                    break;
                }

                var eq = rest[i..].IndexOf('=');
                if (eq <= 0)
                {
                    return null;
                }

                var labelName = rest.Slice(i, eq).Trim().ToString();
                i += eq + 1;
                if (i >= rest.Length || rest[i] != '"')
                {
                    return null;
                }

                i++;
                var value = new StringBuilder();
                while (i < rest.Length && rest[i] != '"')
                {
                    if (rest[i] == '\\' && i + 1 < rest.Length)
                    {
                        i++;
                        value.Append(rest[i] switch
                        {
                            'n' => '\n',
                            _ => rest[i],
                        });
                    }
                    else
                    {
                        value.Append(rest[i]);
                    }

                    i++;
                }

                if (i >= rest.Length)
                {
                    return null;
                }

                i++; // closing quote
                sample.Labels.Add(new Label { Name = labelName, Value = value.ToString() });
            }

            rest = rest[i..];
        }

        var fields = new Host.TextFields(rest);
        if (!fields.TryNext(out var valueText) || !TryParseValue(valueText, out var number))
        {
            return null;
        }

        sample.Value = number;
        if (fields.TryNext(out var timestampText))
        {
            if (!long.TryParse(timestampText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var timestamp))
            {
                return null;
            }

            sample.TimestampUnixMs = timestamp;
        }

        if (instance is not null)
        {
            sample.Labels.Add(instance);
        }

        return sample;
    }

    internal static bool TryParseValue(ReadOnlySpan<char> text, out double value)
    {
        switch (text)
        {
            case "NaN":
                value = double.NaN;
                return true;
            case "+Inf" or "Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    private static MetricKind KindOf(string name, Dictionary<string, string> types)
    {
        if (types.TryGetValue(name, out var type))
        {
            return type == "counter" ? MetricKind.Counter : MetricKind.Gauge;
        }

        foreach (var suffix in (ReadOnlySpan<string>)["_total", "_bucket", "_count", "_sum", "_created"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out type))
            {
                return type is "counter" or "histogram" or "summary" && suffix != "_created" ? MetricKind.Counter : MetricKind.Gauge;
            }
        }

        return MetricKind.Gauge;
    }
}
