using Platform.Agents.Health;

namespace Platform.Agents.Collectors;

/// <summary>A source of samples, asked once per tick.</summary>
internal interface ICollector
{
    /// <summary>The collector's name in error counts ("host", "containers", "prometheus").</summary>
    string Name { get; }

    /// <summary>The <c>collector</c> label its errors are counted under.</summary>
    CollectorKind Kind { get; }

    /// <summary>Adds this tick's samples. Never throws for an unreadable source: it skips and counts it.</summary>
    ValueTask CollectAsync(SampleSink sink, long nowUnixMs, CancellationToken cancellationToken);
}
