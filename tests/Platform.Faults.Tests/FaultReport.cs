using System.Globalization;

namespace Platform.Faults.Tests;

/// <summary>
/// What one fault run checked: printed to the test output and appended as one line to fault-results.txt next to the
/// test assembly, so a long run leaves its numbers behind for the README's reliability table.
/// </summary>
internal sealed class FaultReport(string fault, string variant, ITestOutputHelper output)
{
    public static string ResultsPath => Path.Combine(AppContext.BaseDirectory, "fault-results.txt");

    public long RecordsChecked { get; set; }

    public long FaultsInjected { get; set; }

    public long LossesFound { get; set; }

    public string Notes { get; set; } = "";

    public void Write(TimeSpan elapsed)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {fault} [{variant}] records checked={RecordsChecked} faults injected={FaultsInjected} losses found={LossesFound} elapsed={elapsed.TotalSeconds:0.0}s {Notes}");
        output.WriteLine(line);
        lock (typeof(FaultReport))
        {
            File.AppendAllText(ResultsPath, line.TrimEnd() + Environment.NewLine);
        }
    }
}
