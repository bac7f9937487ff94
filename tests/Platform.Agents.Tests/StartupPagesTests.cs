namespace Platform.Agents.Tests;

[Collection(nameof(StartupPagesTests))] // Enabled is process-wide: these tests do not run alongside each other
public sealed class StartupPagesTests
{
    private static readonly System.Buffers.SearchValues<char> RangeChars = System.Buffers.SearchValues.Create("0123456789abcdef-");

    [Fact]
    public void TryParse_ReadsRangePermsAndPath_FromAFileMapping()
    {
        // A line of /proc/PID/maps: range, perms, offset, device, inode, path (padded with spaces).
        var ok = StartupPages.TryParse(
            "55adc8be3000-55adc9132000 r-xp 0001f000 fe:00 11673759                   /opt/agent/platform-agent",
            out var start, out var end, out var perms, out var path);

        Assert.True(ok);
        Assert.Equal(0x55adc8be3000UL, start);
        Assert.Equal(0x55adc9132000UL, end);
        Assert.Equal("r-xp", perms);
        Assert.Equal("/opt/agent/platform-agent", path);
    }

    [Theory]
    [InlineData("55adc9637000-55adc98b7000 rw-p 00000000 00:00 0 ")] // anonymous: no path
    [InlineData("55add3f70000-55add4097000 rw-p 00000000 00:00 0                          [heap]")] // not a file
    [InlineData("7fff-7ffe r--p 00000000 00:00 0 /x")] // end before start
    [InlineData("zz-7ffe r--p 00000000 00:00 0 /x")] // not hex
    [InlineData("")]
    public void TryParse_ReturnsFalse_ForAnythingButAFileMapping(string line)
    {
        Assert.False(StartupPages.TryParse(line, out _, out _, out _, out _));
    }

    [Fact]
    public void Release_DoesNothing_WhenNotEnabled()
    {
        StartupPages.Enabled = false;
        var advised = StartupPages.AdvisedBytes;

        Assert.Equal(0, StartupPages.Release());
        Assert.Equal(advised, StartupPages.AdvisedBytes);
    }

    [Fact]
    public void Release_ReclaimsResidentPagesOfOwnReadOnlyFiles_WhenEnabled()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("madvise(MADV_PAGEOUT) is Linux only");
        }

        // The assemblies next to the test binary are mapped read-only and were read while loading.
        var before = OwnReadOnlyRssKiB();
        Assert.True(before > 0, "no resident read-only mapping of a file in the base directory");
        try
        {
            StartupPages.Enabled = true;
            var advised = StartupPages.Release();

            Assert.True(advised > 0);
            Assert.True(OwnReadOnlyRssKiB() < before, "the advised mappings kept every resident page");
        }
        finally
        {
            StartupPages.Enabled = false;
        }
    }

    /// <summary>Resident KiB of the read-only mappings of files in the base directory, from /proc/self/smaps.</summary>
    private static long OwnReadOnlyRssKiB()
    {
        var directory = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        long total = 0;
        var counting = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && !line.AsSpan(0, space).ContainsAnyExcept(RangeChars))
            {
                // A mapping's header line; its fields (Rss: …) follow.
                counting = StartupPages.TryParse(line, out _, out _, out var perms, out var path)
                    && !perms.Contains('w', StringComparison.Ordinal) && Path.GetDirectoryName(path) == directory;
            }
            else if (counting && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                total += long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
