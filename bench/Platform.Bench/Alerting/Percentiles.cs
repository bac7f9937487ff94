using System.Globalization;

namespace Platform.Bench.Alerting;

internal static class Percentiles
{
    public static string Row(string name, IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return $"| {name} | 0 | – | – | – | – |";
        }

        var sorted = values.Order().ToArray();
        double P(double p) => Stats.OfSorted(sorted, p);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {sorted.Length} | {P(50):N0} | {P(90):N0} | {P(99):N0} | {sorted[^1]:N0} |");
    }

    public const string Header = "| path | n | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|";
}
