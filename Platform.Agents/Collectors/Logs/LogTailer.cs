using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Platform.Agents.Health;
using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// Tails files and globs like <c>tail -F</c>, polled once per tick.
/// <list type="bullet">
/// <item>Files are tracked by identity (device, inode), not by name: a file renamed by rotation is read to its
/// end through the handle still open (for one more poll after it left the pattern), and the new file at the
/// old name is read from its start.</item>
/// <item>A file shorter than the position read (copytruncate) is read again from its start.</item>
/// <item>A line is emitted only once its newline is there; a partial last line waits (and is emitted when its file
/// is rotated away or truncated).</item>
/// <item>With a start pattern, lines that do not match join the record before them; a record is emitted when
/// the next one starts, or after a poll with no new data in its file.</item>
/// <item>The position saved for a file is the first byte not yet emitted; it is saved after the records before it
/// are in the spool, so a restart neither loses nor repeats a line.</item>
/// </list>
/// </summary>
internal sealed class LogTailer : IDisposable
{
    internal const int MaxLineBytes = 256 * 1024;
    private const int ReadChunk = 64 * 1024;
    private const int MaxBytesPerFilePerPoll = 8 * 1024 * 1024;

    private readonly IReadOnlyList<string> _patterns;
    private readonly string _positionsPath;
    private readonly bool _fromBeginning;
    private readonly Regex? _multilineStart;
    private readonly AgentCounters _counters;
    private readonly ILogger _logger;
    private readonly Dictionary<FileIdentity, TailedFile> _files = [];
    private readonly Dictionary<FileIdentity, long> _saved;
    private readonly List<string> _paths = [];
    private readonly byte[] _chunk = new byte[ReadChunk];
    private bool _firstScan = true;

    public LogTailer(IReadOnlyList<string> patterns, string stateDirectory, bool fromBeginning, string? multilineStart, AgentCounters counters, ILogger logger)
    {
        _patterns = patterns;
        _positionsPath = Path.Join(stateDirectory, "log-positions");
        _fromBeginning = fromBeginning;
        _multilineStart = multilineStart is null ? null : new Regex(multilineStart, RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromMilliseconds(100));
        _counters = counters;
        _logger = logger;
        _saved = TailPositions.Load(_positionsPath);
        // A saved position means the agent ran before: files it did not know then are new and read from the start.
        if (_saved.Count > 0 || File.Exists(_positionsPath))
        {
            _firstScan = false;
        }
    }

    /// <summary>Files currently followed.</summary>
    public int FileCount => _files.Count;

    /// <summary>
    /// Reads what was appended since the last poll. Returns the records and the positions to save once they
    /// are spooled (<see cref="Checkpoint.Save"/>).
    /// </summary>
    public (List<LogRecord> Records, Checkpoint Checkpoint) Poll(long nowUnixMs)
    {
        var records = new List<LogRecord>();
        _paths.Clear();
        foreach (var pattern in _patterns)
        {
            GlobPattern.Expand(pattern, _paths);
        }

        foreach (var file in _files.Values)
        {
            file.SeenThisScan = false;
        }

        foreach (var path in _paths)
        {
            if (!FileIdentity.TryGet(path, out var id, out var size))
            {
                continue;
            }

            if (_files.TryGetValue(id, out var file))
            {
                file.Path = path;
                file.SeenThisScan = true;
                file.UnseenPolls = 0;
                if (size < file.ReadOffset)
                {
                    // copytruncate: the content we read was copied elsewhere and the file emptied.
                    Flush(file, records, nowUnixMs);
                    file.ResetTo(0);
                }

                continue;
            }

            long start;
            if (_saved.TryGetValue(id, out var savedOffset) && savedOffset <= size)
            {
                start = savedOffset;
            }
            else
            {
                start = _firstScan && !_fromBeginning ? size : 0;
            }

            try
            {
                var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
                file = new TailedFile(id, path, stream) { SeenThisScan = true };
                file.ResetTo(start);
                _files[id] = file;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _counters.CollectError();
                Log.LogFileError(_logger, path, e.Message);
            }
        }

        _firstScan = false;
        _saved.Clear();

        List<FileIdentity>? gone = null;
        foreach (var file in _files.Values)
        {
            var gotData = Read(file, records, nowUnixMs);
            if (!gotData && file.Group is not null)
            {
                EmitGroup(file, records); // a poll with nothing new: the record is complete
            }

            if (!file.SeenThisScan && ++file.UnseenPolls >= 2)
            {
                // Rotated away (or deleted) and read to the end: what is left is complete.
                Flush(file, records, nowUnixMs);
                file.Stream.Dispose();
                (gone ??= []).Add(file.Id);
            }
        }

        if (gone is not null)
        {
            foreach (var id in gone)
            {
                _files.Remove(id);
            }
        }

        var positions = new List<(FileIdentity, long, string)>(_files.Count);
        foreach (var file in _files.Values)
        {
            positions.Add((file.Id, file.CommittedOffset, file.Path));
        }

        _counters.LinesRead(records.Count);
        return (records, new Checkpoint(_positionsPath, positions));
    }

    /// <summary>Reads new bytes of one file into lines; true when there were any.</summary>
    private bool Read(TailedFile file, List<LogRecord> records, long nowUnixMs)
    {
        var gotData = false;
        var budget = MaxBytesPerFilePerPoll;
        try
        {
            while (budget > 0)
            {
                file.Stream.Position = file.ReadOffset;
                var n = file.Stream.Read(_chunk, 0, Math.Min(_chunk.Length, budget));
                if (n <= 0)
                {
                    break;
                }

                gotData = true;
                budget -= n;
                Consume(file, _chunk.AsSpan(0, n), records, nowUnixMs);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _counters.CollectError();
            Log.LogFileError(_logger, file.Path, e.Message);
        }

        return gotData;
    }

    private void Consume(TailedFile file, ReadOnlySpan<byte> data, List<LogRecord> records, long nowUnixMs)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                file.AppendPartial(data);
                file.ReadOffset += data.Length;
                if (file.PartialLength > MaxLineBytes)
                {
                    // A line too long to hold: emit what there is as one record.
                    EmitLine(file, records, nowUnixMs, file.ReadOffset);
                }

                return;
            }

            file.AppendPartial(data[..newline]);
            file.ReadOffset += newline + 1;
            EmitLine(file, records, nowUnixMs, file.ReadOffset);
            data = data[(newline + 1)..];
        }
    }

    private void EmitLine(TailedFile file, List<LogRecord> records, long nowUnixMs, long endOffset)
    {
        var bytes = file.Partial;
        if (bytes.Length > 0 && bytes[^1] == '\r')
        {
            bytes = bytes[..^1];
        }

        var line = Encoding.UTF8.GetString(bytes);
        var lineStart = endOffset - file.PartialLength - 1;
        file.ClearPartial();
        if (_multilineStart is null)
        {
            records.Add(MakeRecord(file, line, nowUnixMs));
            file.CommittedOffset = endOffset;
            return;
        }

        if (file.Group is null || _multilineStart.IsMatch(line))
        {
            EmitGroup(file, records);
            file.Group = new StringBuilder(line);
            file.GroupTimestamp = nowUnixMs;
            file.CommittedOffset = lineStart; // a restart reads the open record again from its first line
        }
        else
        {
            file.Group.Append('\n').Append(line);
        }
    }

    private static void EmitGroup(TailedFile file, List<LogRecord> records)
    {
        if (file.Group is null)
        {
            return;
        }

        records.Add(MakeRecord(file, file.Group.ToString(), file.GroupTimestamp));
        file.Group = null;
        file.CommittedOffset = file.ReadOffset - file.PartialLength;
    }

    /// <summary>Emits the partial last line and any open multiline record (the file was rotated or truncated).</summary>
    private void Flush(TailedFile file, List<LogRecord> records, long nowUnixMs)
    {
        if (file.PartialLength > 0)
        {
            EmitLine(file, records, nowUnixMs, file.ReadOffset + 1);
        }

        EmitGroup(file, records);
        file.CommittedOffset = file.ReadOffset;
    }

    private static LogRecord MakeRecord(TailedFile file, string message, long nowUnixMs) => new()
    {
        TimestampUnixMs = LogTimestamp.TryParseLeading(message, out var ms) ? ms : nowUnixMs,
        Source = file.Path,
        Severity = SeverityDetector.Detect(message),
        Message = message,
    };

    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            file.Stream.Dispose();
        }

        _files.Clear();
    }

    /// <summary>The positions as of one poll; saved after that poll's records are spooled.</summary>
    internal sealed class Checkpoint(string path, List<(FileIdentity Id, long Offset, string Path)> positions)
    {
        public IReadOnlyList<(FileIdentity Id, long Offset, string Path)> Positions => positions;

        public void Save()
        {
            try
            {
                TailPositions.Save(path, positions);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Next poll's save tries again; a restart before that repeats a few lines (never loses them).
            }
        }
    }

    private sealed class TailedFile(FileIdentity id, string path, FileStream stream)
    {
        private byte[] _partial = new byte[256];

        public FileIdentity Id { get; } = id;
        public string Path { get; set; } = path;
        public FileStream Stream { get; } = stream;
        /// <summary>The next byte to read.</summary>
        public long ReadOffset { get; set; }
        /// <summary>The first byte not yet emitted: what a restart resumes from.</summary>
        public long CommittedOffset { get; set; }
        public int PartialLength { get; private set; }
        public ReadOnlySpan<byte> Partial => _partial.AsSpan(0, PartialLength);
        public StringBuilder? Group { get; set; }
        public long GroupTimestamp { get; set; }
        public bool SeenThisScan { get; set; }
        public int UnseenPolls { get; set; }

        public void ResetTo(long offset)
        {
            ReadOffset = offset;
            CommittedOffset = offset;
            PartialLength = 0;
            Group = null;
        }

        public void AppendPartial(ReadOnlySpan<byte> bytes)
        {
            if (PartialLength + bytes.Length > _partial.Length)
            {
                Array.Resize(ref _partial, Math.Max(_partial.Length * 2, PartialLength + bytes.Length));
            }

            bytes.CopyTo(_partial.AsSpan(PartialLength));
            PartialLength += bytes.Length;
        }

        public void ClearPartial() => PartialLength = 0;
    }
}
