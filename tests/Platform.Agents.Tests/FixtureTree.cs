using Platform.Agents.Collectors;
using Platform.TestKit;
using Platform.Telemetry.V1;

namespace Platform.Agents.Tests;

/// <summary>Copies a recorded fixture tree into a temp directory (so a test can change files) and finds samples in batches.</summary>
internal static class FixtureTree
{
    public static TempDirectory Copy(string name)
    {
        var source = Path.Join(AppContext.BaseDirectory, "Fixtures", name);
        var target = new TempDirectory("agent-fixture");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Join(target.Path, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    public static (MetricBatch Batch, SampleSink Sink) NewBatch()
    {
        var batch = new MetricBatch();
        return (batch, new SampleSink(batch));
    }

    /// <summary>The one sample with this name and exactly these labels (order free).</summary>
    public static Sample Single(MetricBatch batch, string name, params (string Name, string Value)[] labels)
    {
        var matches = batch.Samples.Where(s => s.Name == name && s.Labels.Count == labels.Length
            && labels.All(l => s.Labels.Any(x => x.Name == l.Name && x.Value == l.Value))).ToList();
        Assert.True(matches.Count == 1, $"expected one {name} {string.Join(",", labels)}, found {matches.Count}; present: "
            + string.Join("; ", batch.Samples.Where(s => s.Name == name).Select(s => string.Join(",", s.Labels.Select(l => l.Name + "=" + l.Value)))));
        return matches[0];
    }

    public static double Value(MetricBatch batch, string name, params (string Name, string Value)[] labels) => Single(batch, name, labels).Value;
}
