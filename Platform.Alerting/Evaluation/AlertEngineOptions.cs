using Platform.Telemetry.Decoding;

namespace Platform.Alerting.Evaluation;

internal sealed class AlertEngineOptions
{
    /// <summary>Written into every record (<c>instance</c>) to tell this instance's records from others'.</summary>
    public string Instance { get; init; } = Environment.MachineName;

    /// <summary>Re-send for rules that set no repeat interval; zero = never.</summary>
    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromHours(4);

    /// <summary>How long a new notification waits for more alerts of its group; zero = send at once.</summary>
    public TimeSpan GroupWait { get; init; } = TimeSpan.Zero;

    /// <summary>A series (and its alerts) with no sample for this long is forgotten; its firing alerts resolve.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How many distinct series the engine's <see cref="MetricBatchDecoder"/> holds before it starts its table
    /// over (a new generation: the engine re-binds its series by their keys).</summary>
    public int MaxSeries { get; init; } = 1 << 20;

    /// <summary>Called once for every series descriptor the engine meets (per decoder generation), before its samples
    /// are evaluated: the metric catalog learns names here instead of per sample.</summary>
    public Action<SeriesDescriptor>? SeriesSeen { get; init; }
}
