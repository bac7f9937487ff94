using Microsoft.Extensions.Logging.Abstractions;
using Platform.Agents.Collectors.Logs;
using Platform.Agents.Health;
using Platform.TestKit;
using Platform.Telemetry.V1;

namespace Platform.Agents.Tests.Collectors;

public sealed class LogTailerTests : IDisposable
{
    private readonly TempDirectory _dir = new("tail");
    private readonly string _state;
    private readonly string _log;

    public LogTailerTests()
    {
        _state = Path.Join(_dir.Path, "state");
        Directory.CreateDirectory(_state);
        Directory.CreateDirectory(Path.Join(_dir.Path, "logs"));
        _log = Path.Join(_dir.Path, "logs", "app.log");
    }

    public void Dispose() => _dir.Dispose();

    private LogTailer Tailer(string? pattern = null, string? multiline = null, bool fromBeginning = true, AgentCounters? counters = null) =>
        new([pattern ?? _log], _state, fromBeginning, multiline, counters ?? new AgentCounters(), NullLogger.Instance);

    /// <summary>Polls and saves the checkpoint, as the agent does once the batch is spooled.</summary>
    private static List<string> Poll(LogTailer tailer)
    {
        var (records, checkpoint) = tailer.Poll(1_000);
        checkpoint.Save();
        return [.. records.Select(r => r.Message)];
    }

    /// <summary>Polls <paramref name="polls"/> times (a rotated file is read to its end over more than one) and returns every line in order.</summary>
    private static List<string> Poll(LogTailer tailer, int polls)
    {
        var lines = new List<string>();
        for (var i = 0; i < polls; i++)
        {
            lines.AddRange(Poll(tailer));
        }

        return lines;
    }

    private static void Append(string path, string text) => File.AppendAllText(path, text);

    /// <summary>logrotate's copytruncate: the file copied to <c>app.log.1</c>, then emptied in place.</summary>
    private void CopyTruncate()
    {
        File.Copy(_log, _log + ".1");
        using var stream = new FileStream(_log, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.SetLength(0);
    }

    [Fact]
    public void Poll_EmitsEachLineOnce_AcrossPolls()
    {
        using var tailer = Tailer();
        Append(_log, "one\ntwo\n");
        Assert.Equal(["one", "two"], Poll(tailer));
        Assert.Empty(Poll(tailer));
        Append(_log, "three\r\n");
        Assert.Equal(["three"], Poll(tailer));
    }

    [Fact]
    public void Poll_HoldsPartialLastLine_UntilItsNewline()
    {
        using var tailer = Tailer();
        Append(_log, "complete\npart");
        Assert.Equal(["complete"], Poll(tailer));
        Append(_log, "ial");
        Assert.Empty(Poll(tailer));
        Append(_log, " line\nnext\n");
        Assert.Equal(["partial line", "next"], Poll(tailer));
    }

    [Fact]
    public void Poll_FollowsRenameRotation_WithoutLossOrDuplication()
    {
        using var tailer = Tailer();
        Append(_log, "a1\na2\n");
        Assert.Equal(["a1", "a2"], Poll(tailer));

        // The writer still has the old file open: it appends, the rotator renames it and creates a new one.
        using (var writer = new StreamWriter(new FileStream(_log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)))
        {
            writer.Write("a3\n");
            writer.Flush();
            File.Move(_log, _log + ".1");
            writer.Write("a4\n"); // lands in app.log.1
            writer.Flush();
        }

        Append(_log, "b1\nb2\n");
        var lines = Poll(tailer, polls: 3);
        Assert.Equal(["a3", "a4", "b1", "b2"], lines.Order(StringComparer.Ordinal));
        Assert.True(lines.IndexOf("a3") < lines.IndexOf("a4") && lines.IndexOf("b1") < lines.IndexOf("b2"));
        Assert.Equal(1, tailer.FileCount); // the rotated file was read to its end and closed
        Append(_log, "b3\n");
        Assert.Equal(["b3"], Poll(tailer));
    }

    [Fact]
    public void Poll_FollowsRotatedFile_WhenItsNewNameMatchesTheGlob()
    {
        using var tailer = Tailer(Path.Join(_dir.Path, "logs", "app.log*"));
        Append(_log, "a1\n");
        Assert.Equal(["a1"], Poll(tailer));
        File.Move(_log, _log + ".1");
        Append(_log + ".1", "a2\n");
        Append(_log, "b1\n");
        // app.log.1 is the same file (same inode): it continues at its position, it is not read again.
        Assert.Equal(["a2", "b1"], Poll(tailer).Order(StringComparer.Ordinal));
        Assert.Empty(Poll(tailer));
    }

    [Fact]
    public void Poll_RestartsAtZero_AfterCopyTruncate()
    {
        using var tailer = Tailer();
        Append(_log, "old line 1\nold line 2\n");
        Assert.Equal(["old line 1", "old line 2"], Poll(tailer));

        CopyTruncate();

        Append(_log, "new\n");
        Assert.Equal(["new"], Poll(tailer));
        Append(_log, "newer\n");
        Assert.Equal(["newer"], Poll(tailer));
    }

    [Fact]
    public void Restart_ResumesAtSavedPosition_MidFile()
    {
        using (var first = Tailer())
        {
            Append(_log, "1\n2\n3\n");
            Assert.Equal(["1", "2", "3"], Poll(first));
        }

        Append(_log, "4\n5\n");
        using var second = Tailer(fromBeginning: false);
        Assert.Equal(["4", "5"], Poll(second));
    }

    [Fact]
    public void Restart_ReadsAgain_LinesWhoseBatchWasNeverSpooled()
    {
        using (var first = Tailer())
        {
            Append(_log, "1\n2\n");
            Assert.Equal(["1", "2"], Poll(first));
            Append(_log, "3\n4\n");
            var (records, _) = first.Poll(1_000); // the agent stops before this batch reaches the spool
            Assert.Equal(2, records.Count);
        }

        using var second = Tailer();
        Assert.Equal(["3", "4"], Poll(second));
    }

    [Fact]
    public void Restart_ResumesAtPartialLine()
    {
        using (var first = Tailer())
        {
            Append(_log, "done\nhalf");
            Assert.Equal(["done"], Poll(first));
        }

        Append(_log, "-finished\n");
        using var second = Tailer();
        Assert.Equal(["half-finished"], Poll(second));
    }

    [Fact]
    public void FirstStart_BeginsAtEnd_UnlessFromBeginning()
    {
        Append(_log, "history\n");
        using (var tailer = Tailer(fromBeginning: false))
        {
            Assert.Empty(Poll(tailer));
            Append(_log, "fresh\n");
            Assert.Equal(["fresh"], Poll(tailer));

            // A file that appears after the start is read from its beginning.
            var other = Path.Join(_dir.Path, "logs", "other.log");
            Append(other, "x\n");
        }

        Directory.Delete(_state, recursive: true);
        Directory.CreateDirectory(_state);
        using var fromStart = Tailer(fromBeginning: true);
        Assert.Equal(["history", "fresh"], Poll(fromStart));
    }

    [Fact]
    public void Poll_ReadsFilesAppearingLater_FromTheirBeginning()
    {
        var pattern = Path.Join(_dir.Path, "logs", "*.log");
        using var tailer = Tailer(pattern, fromBeginning: false);
        Append(_log, "before start\n");
        Assert.Empty(Poll(tailer)); // first scan: from the end
        Append(Path.Join(_dir.Path, "logs", "late.log"), "late 1\nlate 2\n");
        Assert.Equal(["late 1", "late 2"], Poll(tailer));
    }

    [Fact]
    public void Poll_JoinsContinuationLines_ByStartPattern()
    {
        using var tailer = Tailer(multiline: @"^\d{4}-\d{2}-\d{2} ");
        Append(_log, "2026-11-25 10:00:00 ERROR boom\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)\n\tat C.d(C.java:2)\n2026-11-25 10:00:01 INFO ok\n");
        var first = Poll(tailer);
        Assert.Equal(["2026-11-25 10:00:00 ERROR boom\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)\n\tat C.d(C.java:2)"], first);
        // The last record may still grow; a poll without new data completes it.
        Assert.Equal(["2026-11-25 10:00:01 INFO ok"], Poll(tailer));
    }

    [Fact]
    public void Restart_ReadsOpenMultilineRecord_AgainFromItsFirstLine()
    {
        var pattern = @"^\[";
        using (var first = Tailer(multiline: pattern))
        {
            Append(_log, "[1] a\n[2] b\n  more\n");
            Assert.Equal(["[1] a"], Poll(first)); // [2] still open
        }

        Append(_log, "  end\n[3] c\n");
        using var second = Tailer(multiline: pattern);
        Assert.Equal(["[2] b\n  more\n  end"], Poll(second));
        Assert.Equal(["[3] c"], Poll(second));
    }

    [Fact]
    public void Poll_SetsSourceSeverityAndTimestamp()
    {
        using var tailer = Tailer();
        Append(_log, "2026-11-25T10:00:00.250Z level=error msg=\"disk full\"\nplain line\n");
        var (records, _) = tailer.Poll(42);

        Assert.Equal(_log, records[0].Source);
        Assert.Equal(Severity.Error, records[0].Severity);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 10, 0, 0, 250, TimeSpan.Zero).ToUnixTimeMilliseconds(), records[0].TimestampUnixMs);
        Assert.Equal(Severity.Unspecified, records[1].Severity);
        Assert.Equal(42, records[1].TimestampUnixMs);
    }

    [Fact]
    public void Glob_MatchesWildcardsAndDoubleStar()
    {
        var root = Path.Join(_dir.Path, "g");
        foreach (var file in new[] { "a/x.log", "a/y.txt", "b/c/x.log", "x.log" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Join(root, file))!);
            File.WriteAllText(Path.Join(root, file), "");
        }

        var found = new List<string>();
        GlobPattern.Expand(root + "/**/x.log", found);
        Assert.Equal(["a/x.log", "b/c/x.log", "x.log"], found.Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal));
        found.Clear();
        GlobPattern.Expand(root + "/?/*.log", found);
        Assert.Equal(["a/x.log"], found.Select(f => Path.GetRelativePath(root, f)));
    }

    [Theory]
    [InlineData("relative/*.log", "must be an absolute path")]
    [InlineData("/nonexistent-dir-for-test/*.log", "does not exist")]
    [InlineData("/nonexistent-dir-for-test/app.log", "does not exist")]
    [InlineData("/tmp/a**b/x.log", "whole path segment")]
    public void Glob_Check_ExplainsBadPatterns(string pattern, string expected) =>
        Assert.Contains(expected, GlobPattern.Check(pattern), StringComparison.Ordinal);

    [Fact]
    public void Poll_TreatsARegexTimeout_AsNoStartLine_AndCountsIt()
    {
        var counters = new AgentCounters();
        // Catastrophic backtracking: (a+)+$ on a long run of a's that ends in something else.
        using var tailer = Tailer(multiline: "^(a+)+$", counters: counters);
        Append(_log, new string('a', 5000) + "!\n" + new string('a', 5000) + "!\n");

        var lines = Poll(tailer, polls: 2); // the second has no new data: the open record is complete

        Assert.Single(lines); // the second line joined the first: a timed-out match is "not a start line"
        Assert.Equal(1, counters.CollectErrorsOf(CollectorKind.Logs));
    }

    [Fact]
    public void Poll_CutsAMultilineRecord_AtTheLineCap_WhenNoStartLineComes()
    {
        using var tailer = Tailer(multiline: "^START");
        var text = new System.Text.StringBuilder("START\n");
        for (var i = 1; i < LogTailer.MaxGroupLines + 500; i++)
        {
            text.Append("  at frame ").Append(i).Append('\n');
        }

        Append(_log, text.ToString());
        var (records, _) = tailer.Poll(1_000);

        // The file has data this poll, so only the cap can have closed the first record.
        Assert.Single(records);
        Assert.Equal(LogTailer.MaxGroupLines, records[0].Message.Split('\n').Length);
        var rest = Poll(tailer); // no new data: the open record is complete
        Assert.Equal(500, rest.Single().Split('\n').Length);
    }

    [Fact]
    public void Poll_CutsAMultilineRecord_AtMaxLineBytes()
    {
        using var tailer = Tailer(multiline: "^START");
        var line = "  " + new string('x', 1000);
        var count = (LogTailer.MaxLineBytes / (line.Length + 1)) + 10;
        Append(_log, "START\n" + string.Concat(Enumerable.Repeat(line + "\n", count)));

        var (records, _) = tailer.Poll(1_000);
        var rest = Poll(tailer);

        Assert.Single(records);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(records[0].Message) <= LogTailer.MaxLineBytes);
        Assert.Equal(count + 1, records[0].Message.Split('\n').Length + rest.Single().Split('\n').Length);
    }

    [Fact]
    public void Poll_EmitsAMultilineRecord_OnceItIsOld_EvenIfTheFileKeepsGrowing()
    {
        using var tailer = Tailer(multiline: "^START");
        Append(_log, "START one\n  more\n");
        var (first, _) = tailer.Poll(1_000);
        Assert.Empty(first); // data this poll: the record may go on

        Append(_log, "  still more\n");
        var (second, _) = tailer.Poll(1_000 + (long)LogTailer.MaxGroupAge.TotalMilliseconds);

        Assert.Equal(["START one\n  more\n  still more"], second.Select(r => r.Message));
    }

    [Fact]
    public void Restart_AfterRenameRotationWhileStopped_ReadsTheRenamedFilesTail()
    {
        using (var tailer = Tailer())
        {
            Append(_log, "a1\na2\n");
            Assert.Equal(["a1", "a2"], Poll(tailer));
        }

        // While the agent is stopped: the writer appends, logrotate renames, the writer starts a new file.
        Append(_log, "a3\na4\n");
        File.Move(_log, _log + ".1");
        Append(_log, "b1\n");

        using var next = Tailer(fromBeginning: false);
        var lines = Poll(next, polls: 3);

        Assert.Equal(["a3", "a4", "b1"], lines.Order(StringComparer.Ordinal));
        Assert.True(lines.IndexOf("a3") < lines.IndexOf("a4"));
        Assert.Equal(1, next.FileCount); // the renamed file was read to its end and closed
    }

    [Fact]
    public void Restart_AfterCopyTruncateWhileStopped_WithRegrowth_ReadsNewContentFromItsStart()
    {
        using (var tailer = Tailer())
        {
            Append(_log, "old1\nold2\n");
            Assert.Equal(["old1", "old2"], Poll(tailer));
        }

        // While stopped: one more line, then copytruncate, then the file grows past the saved offset (10).
        Append(_log, "old3\n");
        CopyTruncate();

        Append(_log, "new line one\nnew2\n");

        using var next = Tailer(fromBeginning: false);
        var lines = Poll(next, polls: 3);

        // The old content's unread tail from the copy, the new content whole: nothing lost, nothing mid-line.
        Assert.Equal(["new line one", "new2", "old3"], lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Poll_RestartsAtZero_AfterCopyTruncateAndRegrowth_BetweenTwoPolls()
    {
        using var tailer = Tailer();
        Append(_log, "old1\nold2\n");
        Assert.Equal(["old1", "old2"], Poll(tailer));

        Append(_log, "old3\n");
        CopyTruncate();

        Append(_log, "new line one\nnew2\n"); // longer than the position read (10): the size alone cannot tell

        var lines = Poll(tailer, polls: 3);
        Assert.Equal(["new line one", "new2", "old3"], lines.Order(StringComparer.Ordinal));
        Append(_log, "new3\n");
        Assert.Equal(["new3"], Poll(tailer));
    }

    [Fact]
    public void Restart_WhileARotatedFileIsBeingReadToItsEnd_ReadsItsRestAfterTheRestart()
    {
        using (var tailer = Tailer())
        {
            Append(_log, "a1\n");
            Assert.Equal(["a1"], Poll(tailer));
            File.Move(_log, _log + ".1");
            Append(_log, "b1\n");
            // The renamed file is followed (by its handle) and saved under its new name.
            Assert.Equal(["b1"], Poll(tailer));
        }

        Append(_log + ".1", "a2\n"); // the writer still had the old file open

        using var next = Tailer(fromBeginning: false);
        Assert.Equal(["a2"], Poll(next, polls: 2));
    }

    [Fact]
    public void Restart_WithTheFileUnchanged_ResumesAtTheSavedOffset()
    {
        using (var tailer = Tailer())
        {
            Append(_log, "x1\nx2\n");
            Assert.Equal(["x1", "x2"], Poll(tailer));
        }

        Append(_log, "x3\n");
        using var next = Tailer(fromBeginning: false);
        Assert.Equal(["x3"], Poll(next));
    }

    [Theory]
    [InlineData("msg=\"no error\" level=info", Severity.Info)]
    [InlineData("{\"msg\":\"alert sent\",\"level\":\"warn\"}", Severity.Warn)]
    [InlineData("{\"level\":50,\"msg\":\"x\"}", Severity.Error)]
    [InlineData("ts=1 lvl=dbg msg=\"fatal flaw\"", Severity.Debug)]
    [InlineData("severity: ERROR something", Severity.Error)]
    [InlineData("user alert: quota nearly used", Severity.Unspecified)]
    [InlineData("the error handler ran fine", Severity.Unspecified)]
    [InlineData("error: cannot open file", Severity.Error)]
    [InlineData("[warn] slow disk", Severity.Warn)]
    [InlineData("connection reset, giving up: ERROR 104", Severity.Error)]
    public void Severity_IsKeyAware_AndIgnoresWordsInsideMessages(string line, Severity expected) =>
        Assert.Equal(expected, SeverityDetector.Detect(line));

    [Fact]
    public void Timestamp_WithoutZone_IsTheHostsLocalTime_AndWithZoneIsAsWritten()
    {
        var plusTwo = TimeZoneInfo.CreateCustomTimeZone("test+02", TimeSpan.FromHours(2), "test+02", "test+02");
        var utc = new DateTimeOffset(2026, 11, 25, 8, 0, 0, 123, TimeSpan.Zero).ToUnixTimeMilliseconds();

        Assert.True(LogTimestamp.TryParseLeading("2026-11-25 10:00:00,123 [main] INFO x", plusTwo, out var local));
        Assert.Equal(utc, local);
        Assert.True(LogTimestamp.TryParseLeading("2026-11-25T08:00:00.123Z x", plusTwo, out var zulu));
        Assert.Equal(utc, zulu);
        Assert.True(LogTimestamp.TryParseLeading("2026-11-25T09:00:00.123+01:00 x", plusTwo, out var offset));
        Assert.Equal(utc, offset);
    }

    [Theory]
    [InlineData("<3>kernel: oops", Severity.Error)]
    [InlineData("<6>daemon started", Severity.Info)]
    [InlineData("E1125 10:00:00.000000 1 main.go:10] failed", Severity.Error)]
    [InlineData("W1125 10:00:00.000000 1 main.go:10] slow", Severity.Warn)]
    [InlineData("time=2026-11-25T10:00:00Z level=warn msg=x", Severity.Warn)]
    [InlineData("{\"ts\":1,\"level\":\"debug\",\"msg\":\"x\"}", Severity.Debug)]
    [InlineData("2026-11-25 10:00:00,123 [main] FATAL app - down", Severity.Fatal)]
    [InlineData("[ERROR] could not connect", Severity.Error)]
    [InlineData("Nov 25 10:00:00 host sshd[1]: Accepted publickey", Severity.Unspecified)]
    [InlineData("TRACE entering", Severity.Trace)]
    [InlineData("2026-11-25 10:00:00 CRITICAL disk", Severity.Fatal)]
    public void Severity_IsDetected_FromCommonFormats(string line, Severity expected) =>
        Assert.Equal(expected, SeverityDetector.Detect(line));
}
