namespace Platform.Dashboard.Components.Shared;

/// <summary>The line colors of the charts, readable on the dark and the light theme.</summary>
public static class ChartPalette
{
    private static readonly string[] Colors = ["#42a5f5", "#66bb6a", "#ffa726", "#ab47bc", "#26c6da", "#ef5350", "#d4e157", "#8d6e63", "#ec407a", "#78909c"];

    public static string Of(int index) => Colors[index % Colors.Length];

    public static string Of(Platform.Telemetry.Alerts.AlertSeverity severity) => severity switch
    {
        Platform.Telemetry.Alerts.AlertSeverity.Critical => "#e53935",
        Platform.Telemetry.Alerts.AlertSeverity.Warning => "#fb8c00",
        _ => "#29b6f6",
    };
}
