namespace Platform.Dashboard.Services;

/// <summary>How many hosts are in each state.</summary>
public sealed record FleetCounts(int Ok, int Warning, int Critical, int Silent)
{
    public int Total => Ok + Warning + Critical + Silent;

    public int Of(HostHealth health) => health switch
    {
        HostHealth.Ok => Ok,
        HostHealth.Warning => Warning,
        HostHealth.Critical => Critical,
        _ => Silent,
    };
}
