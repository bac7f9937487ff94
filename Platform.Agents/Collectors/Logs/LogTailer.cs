using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Platform.Agents.Health;
using Platform.Agents.Spool;
using Platform.Telemetry.V1;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// Tails files and globs like <c>tail -F</c>, polled once per tick.
/// <list type="bullet">
/// <item>Files are tracked by identity (device, inode), not by name: a file renamed by rotation is read to its
/// end through the handle still open (for one more poll after it left the pattern), and the new file at the
/// old name is read from its start.</item>
/// <item>A file shorter than the position read (copytruncate) is read again from its start; so is a file whose
/// first bytes no longer match its fingerprint when its size changed (truncated and regrown past the position
/// between two polls), and the old content's unread tail is read from the copy next to it.</item>
/// <item>While the agent is stopped: a file renamed away (rotation) is found again next to its saved path
/// (<c>app.log.1</c>, <c>app.log-20261207</c>; compressed names skipped) by its (device, inode) and read from the
/// saved position to its end; a file truncated and rewritten (copytruncate, even regrown past the saved
/// position) is told by the fingerprint of its first bytes (<see cref="TailPositions"/>), read again from its
/// start, and the unread tail of the old content is read from the copy next to it whose first bytes match.</item>
/// <item>A line is emitted only once its newline is there; a partial last line waits (and is emitted when its file
/// is rotated away or truncated).</item>
/// <item>With a start pattern, lines that do not match join the record before them; a record is emitted when
/// the next one starts, after a poll with no new data in its file, once it is <see cref="MaxGroupAge"/> old, or
/// when the next line would take it past <see cref="MaxLineBytes"/> or <see cref="MaxGroupLines"/> (that line then
/// starts the next record). A line on which the pattern times out (100 ms) counts as not a start line and one
/// collection error.</item>
/// <item>The position saved for a file is the first byte not yet emitted; it is saved after the records before it
/// are in the spool, so a restart neither loses nor repeats a line.</item>
/// </list>
/// </summary>
internal sealed class LogTailer : IDisposable
{
    internal const int MaxLineBytes = 256 * 1024;

    /// <summary>Lines in one multiline record at most.</summary>
    internal const int MaxGroupLines = 2000;

    /// <summary>A multiline record open this long is emitted even if its file keeps growing.</summary>
    internal static readonly TimeSpan MaxGroupAge = TimeSpan.FromSeconds(5);

    /// <summary>The saved fingerprint covers at most this many first bytes of a file.</summary>
    internal const int FingerprintBytes = 1024;

    private static readonly string[] CompressedSuffixes = [".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip"];
    private const int ReadChunk = 64 * 1024;
    private const int MaxBytesPerFilePerPoll = 8 * 1024 * 1024;

    private readonly IReadOnlyList<string> _patterns;
    private readonly string _positionsPath;
    private readonly bool _fromBeginning;
    private readonly Regex? _multilineStart;
    private readonly AgentCounters _counters;
    private readonly ILogger _logger;
    private readonly Dictionary<FileIdentity, TailedFile> _files = [];
    private readonly Dictionary<FileIdentity, SavedPosition> _saved;
    private readonly List<string> _paths = [];
    private readonly byte[] _chunk = new byte[ReadChunk];
    private bool _firstScan = true;
    private long _lastTimeoutLogged;

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
                else if (size != file.LastSize && file.FingerprintLength > 0
                    && new SavedPosition(file.ReadOffset, file.Path, file.FingerprintLength, file.Fingerprint) is var old
                    && !FingerprintMatches(file, old))
                {
                    // Truncated and already regrown past the position (between two polls): the first bytes tell.
                    // What was left unread of the old content is in the copy next to it.
                    Flush(file, records, nowUnixMs);
                    file.ResetTo(0);
                    OpenRotatedCopy(old);
                }

                file.LastSize = size;
                continue;
            }

            var hasSaved = _saved.TryGetValue(id, out var saved);
            file = Open(id, path, seen: true);
            if (file is null)
            {
                continue;
            }

            if (!hasSaved)
            {
                file.ResetTo(_firstScan && !_fromBeginning ? size : 0);
            }
            else if (!TryResume(file, saved, size))
            {
                // Truncated (and maybe regrown) while the agent was stopped: the new content from its start, and
                // the unread tail of the old content from the copy the rotation left, when there is one.
                OpenRotatedCopy(saved);
            }
        }

        if (_saved.Count > 0)
        {
            // Files saved at the last run and not found under the patterns: renamed away while the agent was
            // stopped. Read what was left unread of each through its new name next to the old one.
            foreach (var (id, saved) in _saved)
            {
                if (!_files.ContainsKey(id))
                {
                    OpenRenamed(id, saved);
                }
            }
        }

        _firstScan = false;
        _saved.Clear();

        List<FileIdentity>? gone = null;
        foreach (var file in _files.Values)
        {
            var gotData = Read(file, records, nowUnixMs);
            if (file.Group is not null && (!gotData || nowUnixMs - file.GroupTimestamp >= (long)MaxGroupAge.TotalMilliseconds))
            {
                EmitGroup(file, records); // a poll with nothing new, or open long enough: the record is complete
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

        var positions = new List<(FileIdentity, SavedPosition)>(_files.Count);
        foreach (var file in _files.Values)
        {
            UpdateFingerprint(file);
            // A fingerprint is saved only when it covers no byte past the saved position.
            var fingerprinted = file.FingerprintLength <= file.CommittedOffset;
            positions.Add((file.Id, new SavedPosition(file.CommittedOffset, file.Path, fingerprinted ? file.FingerprintLength : 0, fingerprinted ? file.Fingerprint : 0)));
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
            _counters.CollectError(CollectorKind.Logs);
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
        var lineBytes = bytes.Length;
        var lineStart = endOffset - file.PartialLength - 1;
        file.ClearPartial();
        if (_multilineStart is null)
        {
            records.Add(MakeRecord(file, line, nowUnixMs));
            file.CommittedOffset = endOffset;
            return;
        }

        if (file.Group is null || IsStartLine(line)
            || file.GroupBytes + 1 + lineBytes > MaxLineBytes || file.GroupLines >= MaxGroupLines)
        {
            EmitGroup(file, records);
            file.Group = new StringBuilder(line);
            file.GroupBytes = lineBytes;
            file.GroupLines = 1;
            file.GroupTimestamp = nowUnixMs;
            file.CommittedOffset = lineStart; // a restart reads the open record again from its first line
        }
        else
        {
            file.Group.Append('\n').Append(line);
            file.GroupBytes += 1 + lineBytes;
            file.GroupLines++;
        }
    }

    /// <summary>Whether the start pattern matches; a match that times out counts as "no" and one collection error.</summary>
    private bool IsStartLine(string line)
    {
        try
        {
            return _multilineStart!.IsMatch(line);
        }
        catch (RegexMatchTimeoutException)
        {
            _counters.CollectError(CollectorKind.Logs);
            var now = Environment.TickCount64;
            if (_lastTimeoutLogged == 0 || now - _lastTimeoutLogged >= 60_000)
            {
                _lastTimeoutLogged = now;
                Log.MultilineTimeout(_logger, line.Length);
            }

            return false;
        }
    }

    /// <summary>Opens a file to follow (not yet positioned); null (counted) when it cannot be opened.</summary>
    private TailedFile? Open(FileIdentity id, string path, bool seen)
    {
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            var file = new TailedFile(id, path, stream) { SeenThisScan = seen };
            _files[id] = file;
            return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _counters.CollectError(CollectorKind.Logs);
            Log.LogFileError(_logger, path, e.Message);
            return null;
        }
    }

    /// <summary>A file saved at the last run under another name: found next to it by identity, read from the saved position to its end.</summary>
    private void OpenRenamed(FileIdentity id, SavedPosition saved)
    {
        // The saved path itself first: a rotated file the last run was still reading to its end is there.
        var candidates = RotationSiblings(saved.Path);
        candidates.Insert(0, saved.Path);
        foreach (var candidate in candidates)
        {
            if (FileIdentity.TryGet(candidate, out var candidateId, out var size) && candidateId == id)
            {
                if (Open(id, candidate, seen: false) is { } file)
                {
                    TryResume(file, saved, size);
                }

                return;
            }
        }
    }

    /// <summary>Positions a file just opened at its saved position when that still holds (the file is long enough and its first bytes match); else at its start (false).</summary>
    private static bool TryResume(TailedFile file, SavedPosition saved, long size)
    {
        if (saved.Offset <= size && FingerprintMatches(file, saved))
        {
            file.ResetTo(saved.Offset);
            file.SetFingerprint(saved.FingerprintLength, saved.Fingerprint);
            return true;
        }

        file.ResetTo(0);
        return false;
    }

    /// <summary>After copytruncate while stopped: the copy next to the file whose first bytes match the saved fingerprint, read from the saved position.</summary>
    private void OpenRotatedCopy(SavedPosition saved)
    {
        if (saved.FingerprintLength == 0)
        {
            return;
        }

        string? best = null;
        FileIdentity bestId = default;
        var bestTime = DateTime.MinValue;
        foreach (var candidate in RotationSiblings(saved.Path))
        {
            if (!FileIdentity.TryGet(candidate, out var id, out var size) || size < saved.Offset || _files.ContainsKey(id)
                || !FingerprintOf(candidate, saved.FingerprintLength, out var fingerprint) || fingerprint != saved.Fingerprint)
            {
                continue;
            }

            var time = File.GetLastWriteTimeUtc(candidate);
            if (best is null || time > bestTime)
            {
                (best, bestId, bestTime) = (candidate, id, time);
            }
        }

        if (best is not null && Open(bestId, best, seen: false) is { } file)
        {
            file.ResetTo(saved.Offset);
            file.SetFingerprint(saved.FingerprintLength, saved.Fingerprint);
        }
    }

    /// <summary>Rotated names of <paramref name="path"/> in its directory: <c>NAME.1</c>, <c>NAME-20261207</c>, ... (compressed ones excluded).</summary>
    private static List<string> RotationSiblings(string path)
    {
        var result = new List<string>();
        var directory = Path.GetDirectoryName(path);
        var name = Path.GetFileName(path);
        if (string.IsNullOrEmpty(directory) || name.Length == 0)
        {
            return result;
        }

        try
        {
            foreach (var candidate in Directory.EnumerateFiles(directory, name + "*"))
            {
                var candidateName = Path.GetFileName(candidate.AsSpan());
                if (candidateName.Length > name.Length && candidateName[name.Length] is '.' or '-' or '_' && !IsCompressed(candidateName))
                {
                    result.Add(candidate);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private static bool IsCompressed(ReadOnlySpan<char> name)
    {
        foreach (var suffix in CompressedSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool FingerprintMatches(TailedFile file, SavedPosition saved)
    {
        if (saved.FingerprintLength == 0)
        {
            return true; // saved by version 1, or before the file had any bytes
        }

        return FingerprintOf(file.Stream.SafeFileHandle, saved.FingerprintLength, out var fingerprint) && fingerprint == saved.Fingerprint;
    }

    private static bool FingerprintOf(string path, int length, out uint fingerprint)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return FingerprintOf(handle, length, out fingerprint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            fingerprint = 0;
            return false;
        }
    }

    /// <summary>CRC-32C of the first <paramref name="length"/> bytes; false when the file is shorter.</summary>
    private static bool FingerprintOf(Microsoft.Win32.SafeHandles.SafeFileHandle handle, int length, out uint fingerprint)
    {
        Span<byte> buffer = stackalloc byte[FingerprintBytes];
        buffer = buffer[..Math.Min(length, FingerprintBytes)];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[read..], read);
            if (n <= 0)
            {
                fingerprint = 0;
                return false;
            }

            read += n;
        }

        fingerprint = Crc32C.Compute(buffer);
        return true;
    }

    /// <summary>Extends a file's fingerprint to its first <see cref="FingerprintBytes"/> bytes as they are emitted (one small read per poll until then).</summary>
    private static void UpdateFingerprint(TailedFile file)
    {
        var want = (int)Math.Min(FingerprintBytes, file.CommittedOffset);
        if (want <= file.FingerprintLength)
        {
            return;
        }

        try
        {
            if (FingerprintOf(file.Stream.SafeFileHandle, want, out var fingerprint))
            {
                file.SetFingerprint(want, fingerprint);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
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
    internal sealed class Checkpoint(string path, List<(FileIdentity Id, SavedPosition Position)> positions)
    {
        public IReadOnlyList<(FileIdentity Id, SavedPosition Position)> Positions => positions;

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
        public int GroupBytes { get; set; }
        /// <summary>The size seen at the last scan (the fingerprint is checked when it changes).</summary>
        public long LastSize { get; set; } = -1;
        public int GroupLines { get; set; }
        /// <summary>The CRC-32C of the first <see cref="FingerprintLength"/> bytes (0: none yet).</summary>
        public uint Fingerprint { get; private set; }
        public int FingerprintLength { get; private set; }
        public long GroupTimestamp { get; set; }
        public bool SeenThisScan { get; set; }
        public int UnseenPolls { get; set; }

        public void ResetTo(long offset)
        {
            ReadOffset = offset;
            CommittedOffset = offset;
            PartialLength = 0;
            Group = null;
            if (offset == 0)
            {
                FingerprintLength = 0;
                Fingerprint = 0;
            }
        }

        public void SetFingerprint(int length, uint fingerprint)
        {
            FingerprintLength = length;
            Fingerprint = fingerprint;
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
