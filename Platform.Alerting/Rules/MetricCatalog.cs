using System.Collections.Concurrent;
using System.Reflection;
using Platform.Telemetry;

namespace Platform.Alerting.Rules;

/// <summary>The metric names rules may refer to: the names of the data contract (<see cref="MetricNames"/>, what the
/// agents publish) plus every name seen on the <c>metrics</c> topic since start (forwarded Prometheus metrics). The
/// API refuses a rule on any other name as unknown.</summary>
public sealed class MetricCatalog
{
    /// <summary>Every constant of <see cref="MetricNames"/>: the contract is the one list, read once.</summary>
    private static readonly string[] Contract = [.. typeof(MetricNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Order(StringComparer.Ordinal)];

    private static readonly HashSet<string> ContractSet = new(Contract, StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

    /// <summary>Metrics whose values are ratios 0..1 (unit "1"): the contract's <c>*.utilization</c> gauges.</summary>
    public static bool IsRatio(string name) => name.EndsWith(".utilization", StringComparison.Ordinal);

    public bool IsKnown(string name) => ContractSet.Contains(name) || _seen.ContainsKey(name);

    public void Observe(string name)
    {
        if (!_seen.ContainsKey(name))
        {
            _seen.TryAdd(name, 0);
        }
    }

    public IReadOnlyCollection<string> Names =>
        Contract.Concat(_seen.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
}
