using Platform.Broker.Storage;
using Platform.TestKit;

namespace Platform.Broker.Tests.Storage;

/// <summary>What opening a data directory says about directories that are not partitions.</summary>
public sealed class DataDirectoryScanTests
{
    [Fact]
    public async Task Open_IgnoresQuietly_DirectoriesNotNamedLikeAPartition_ButReportsABrokenPartition()
    {
        using var data = new TempDirectory("platform-storage-scan");
        var options = new LogOptions { DataDirectory = data.Path };
        await using (var first = LogManager.Open(options, new CapturingLoggerFactory()))
        {
            first.CreateTopic("metrics", 1);
        }

        // The broker keeps its security files beside the partitions; a partition directory without its metadata is damage.
        Directory.CreateDirectory(Path.Combine(data.Path, "security"));
        File.WriteAllText(Path.Combine(data.Path, "security", "users.json"), "{}");
        Directory.CreateDirectory(Path.Combine(data.Path, "tls"));
        Directory.CreateDirectory(Path.Combine(data.Path, "orphan-0"));

        var logs = new CapturingLoggerFactory();
        await using var manager = LogManager.Open(options, logs);
        Assert.True(manager.TryGetTopic("metrics", out _));
        Assert.Single(manager.Topics);
        var problems = logs.Messages.Where(m => m.Contains("skipped", StringComparison.Ordinal)).ToList();
        Assert.Contains(problems, m => m.Contains("orphan-0", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, m => m.Contains("security", StringComparison.Ordinal) || m.Contains("tls", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(data.Path, "security", "users.json")));
    }
}
