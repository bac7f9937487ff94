using Platform.Dashboard.Services;

namespace Platform.Bench.Dashboard;

/// <summary>What the dashboard's metrics ingest threads do with one record's value.</summary>
internal static class IngestPath
{
    public static void Apply(FleetModel fleet, SeriesCatalog catalog, byte[] value)
    {
        if (!MetricsIngest.TryApply(fleet, catalog, value, out var error))
        {
            throw new InvalidOperationException(error);
        }
    }
}
