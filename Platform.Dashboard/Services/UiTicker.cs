namespace Platform.Dashboard.Services;

/// <summary>
/// The display clock of the pages: raised once per display interval after the live push, so every
/// page re-reads the model at the same rate the hub pushes. Tests raise it by hand.
/// </summary>
public sealed class UiTicker
{
    /// <summary>Raised on a pool thread; a component re-renders through <c>InvokeAsync</c>.</summary>
    public event Action? Tick;

    public long Ticks { get; private set; }

    public void Raise()
    {
        Ticks++;
        Tick?.Invoke();
    }
}
