namespace Platform.Dashboard.Services;

/// <summary>The state a host is shown in, worst last.</summary>
public enum HostHealth
{
    Ok = 0,
    Warning = 1,
    Critical = 2,

    /// <summary>Nothing heard from the host for a few of its collection intervals.</summary>
    Silent = 3,
}
