using System.Globalization;
using System.Text;

namespace Platform.Alerting.Rules;

/// <summary>Renders annotation templates: <c>{{host}}</c>, <c>{{value}}</c>, <c>{{threshold}}</c>, <c>{{rule}}</c>,
/// <c>{{severity}}</c>, <c>{{state}}</c>, <c>{{labels.NAME}}</c> or <c>{{NAME}}</c> for a label; a number can be
/// formatted with <c>|percent</c> (0.953 → 95.3 %) or <c>|round</c>. An unknown name renders as the empty string.</summary>
internal static class Template
{
    public static string Render(string template, Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(lookup);
        if (!template.Contains("{{", StringComparison.Ordinal))
        {
            return template;
        }

        var result = new StringBuilder(template.Length + 32);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                result.Append(template, i, template.Length - i);
                break;
            }

            var close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                result.Append(template, i, template.Length - i);
                break;
            }

            result.Append(template, i, open - i);
            var expression = template.AsSpan(open + 2, close - open - 2).Trim();
            var pipe = expression.IndexOf('|');
            var name = (pipe < 0 ? expression : expression[..pipe]).Trim().ToString();
            var format = pipe < 0 ? string.Empty : expression[(pipe + 1)..].Trim().ToString();
            if (name.StartsWith("labels.", StringComparison.Ordinal))
            {
                name = name["labels.".Length..];
            }

            result.Append(Format(lookup(name), format));
            i = close + 2;
        }

        return result.ToString();
    }

    /// <summary>Checks a template's syntax; returns null when valid, else the problem.</summary>
    public static string? Check(string template)
    {
        var i = 0;
        while ((i = template.IndexOf("{{", i, StringComparison.Ordinal)) >= 0)
        {
            var close = template.IndexOf("}}", i + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                return $"'{{{{' at {i} is not closed by '}}}}'";
            }

            var expression = template.AsSpan(i + 2, close - i - 2);
            var pipe = expression.IndexOf('|');
            if (pipe >= 0)
            {
                var format = expression[(pipe + 1)..].Trim();
                if (!format.SequenceEqual("percent") && !format.SequenceEqual("round"))
                {
                    return $"unknown format '{format}' (percent or round)";
                }
            }

            if ((pipe < 0 ? expression : expression[..pipe]).Trim().IsEmpty)
            {
                return $"empty placeholder at {i}";
            }

            i = close + 2;
        }

        return null;
    }

    public static string FormatNumber(double value) =>
        double.IsNaN(value) ? "NaN" : value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Format(string? value, string format)
    {
        if (value is null)
        {
            return string.Empty;
        }

        if (format.Length == 0 || !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return value;
        }

        return format switch
        {
            "percent" => (number * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %",
            "round" => Math.Round(number).ToString(CultureInfo.InvariantCulture),
            _ => value,
        };
    }
}
