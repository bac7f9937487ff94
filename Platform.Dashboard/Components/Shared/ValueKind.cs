namespace Platform.Dashboard.Components.Shared;

/// <summary>What the values of a chart are, for the axis labels.</summary>
public enum ValueKind
{
    Number,

    /// <summary>0..1, shown as percent.</summary>
    Ratio,
    Bytes,
    BytesPerSecond,
}
