namespace Platform.Bench;

/// <summary>
/// A load harness run as <c>dotnet run -c Release --project bench/Platform.Bench -- NAME [options]</c>.
/// Each harness does the platform's work and its reference's work in the same run and prints a table
/// with the ratio between them. Implementations are discovered by reflection, one class per harness.
/// </summary>
internal interface IHarness
{
    /// <summary>The command-line name, e.g. "storage".</summary>
    string Name { get; }

    /// <summary>One line for the list printed by <c>--help</c>.</summary>
    string Description { get; }

    /// <summary>Runs the harness; returns the process exit code.</summary>
    Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
}
