using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Platform.Agents.Spool;

/// <summary>
/// The agent's write-ahead spool: every batch is appended here before it is sent, read back in order by
/// the publisher, and released when the broker has acknowledged it. It survives broker outages and agent
/// restarts, and it is bounded.
/// <para>
/// Layout: a directory of segment files named by the id of their first record (<c>00000000000000000001.seg</c>),
/// each an 8-byte header (<c>"PASP"</c>, u16 version 1, u16 reserved) and then records (<see cref="SpoolRecordHeader"/>
/// + key + value), plus a <c>committed</c> file (<see cref="CommitFile"/>) with the id of the first record
/// not yet acknowledged. Records below it are done; segments made only of them are deleted.
/// </para>
/// <para>
/// Drop policy: when the spool is over <c>maxBytes</c>, the oldest whole segment is deleted, sent or not,
/// so the spool keeps the newest data (what a monitoring consumer needs most after an outage). Every
/// record dropped that way that was never read (handed to the transport) in this run is counted in
/// <see cref="DroppedRecords"/>; records read but not yet acknowledged may still be delivered, and the
/// publisher counts those that fail afterwards (they are below <see cref="OldestId"/> then). The active
/// segment is never dropped.
/// </para>
/// <para>Not thread-safe: one pipeline loop owns it.</para>
/// </summary>
internal sealed class DiskSpool : IDisposable
{
    internal const int SegmentHeaderSize = 8;
    private const uint SegmentMagic = 0x50534150; // "PASP" little-endian
    private const ushort LayoutVersion = 1;
    private const string SegmentExtension = ".seg";

    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly long _segmentBytes;
    private readonly List<Segment> _segments = [];
    private readonly CommitFile _commitFile;
    private int _readSegment;
    private long _readOffset;
    private ulong _persistedCommit;
    private ulong _readHigh;

    /// <param name="directory">Created when missing.</param>
    /// <param name="maxBytes">The bound on the spool's size on disk; at least 128 KiB.</param>
    public DiskSpool(string directory, long maxBytes)
    {
        if (maxBytes < 128 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "the spool needs at least 128 KiB");
        }

        _directory = directory;
        _maxBytes = maxBytes;
        _segmentBytes = Math.Clamp(maxBytes / 16, 32 * 1024, 16 * 1024 * 1024);
        Directory.CreateDirectory(directory);
        _commitFile = new CommitFile(Path.Join(directory, "committed"));
        Committed = _commitFile.Read();
        _persistedCommit = Committed;
        Recover();
        _readHigh = Committed;
        Rewind(Committed);
    }

    /// <summary>The id the next appended record gets.</summary>
    public ulong NextId { get; private set; } = 1;

    /// <summary>Every record with a lower id has been delivered (or dropped).</summary>
    public ulong Committed { get; private set; }

    /// <summary>Bytes on disk in segment files.</summary>
    public long Bytes { get; private set; }

    /// <summary>Records not yet committed.</summary>
    public long PendingRecords => _segments.Count == 0 ? 0 : (long)(NextId - Math.Max(Committed, _segments[0].FirstId));

    /// <summary>The id of the oldest record still on disk (<see cref="NextId"/> when there is none).</summary>
    public ulong OldestId => _segments.Count == 0 ? NextId : Math.Min(_segments[0].FirstId, NextId);

    /// <summary>Records never read in this run that the size bound deleted since this spool was opened.</summary>
    public long DroppedRecords { get; private set; }

    /// <summary>Records found torn or corrupt at recovery and cut off.</summary>
    public long TruncatedAtRecovery { get; private set; }

    /// <summary>Appends a record and returns its id. The write reaches the OS (survives a process crash) before it returns.</summary>
    /// <exception cref="ArgumentException">The key or value is too large for a spool record.</exception>
    public ulong Append(SpoolTopic topic, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length > ushort.MaxValue || (long)key.Length + value.Length > SpoolRecordHeader.MaxBodyLength)
        {
            throw new ArgumentException($"a spool record holds at most {SpoolRecordHeader.MaxBodyLength} bytes; got {key.Length + value.Length}");
        }

        var bodyLength = key.Length + value.Length;
        var size = SpoolRecordHeader.Size + bodyLength;
        var active = _segments.Count == 0 ? null : _segments[^1];
        if (active is null || (active.Length + size > _segmentBytes && active.NextId > active.FirstId))
        {
            active = CreateSegment(NextId);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var span = buffer.AsSpan(0, size);
            key.CopyTo(span[SpoolRecordHeader.Size..]);
            value.CopyTo(span[(SpoolRecordHeader.Size + key.Length)..]);
            var header = new SpoolRecordHeader(bodyLength, 0, NextId, topic, (ushort)key.Length);
            header.Format(span);
            var crc = SpoolRecordHeader.ComputeCrc(span, span[SpoolRecordHeader.Size..]);
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], crc);
            RandomAccess.Write(active.Handle, span, active.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        active.Length += size;
        active.NextId = NextId + 1;
        Bytes += size;
        var id = NextId++;
        EnforceBound();
        return id;
    }

    /// <summary>The next record after the read cursor, or false when the publisher has read everything.</summary>
    public bool TryReadNext(out SpoolEntry entry)
    {
        Span<byte> headerBytes = stackalloc byte[SpoolRecordHeader.Size];
        while (_readSegment < _segments.Count)
        {
            var segment = _segments[_readSegment];
            if (_readOffset >= segment.Length)
            {
                if (_readSegment == _segments.Count - 1)
                {
                    break;
                }

                _readSegment++;
                _readOffset = SegmentHeaderSize;
                continue;
            }

            RandomAccess.Read(segment.Handle, headerBytes, _readOffset);
            var header = new SpoolRecordHeader(headerBytes);
            var key = new byte[header.KeyLength];
            var value = new byte[header.BodyLength - header.KeyLength];
            RandomAccess.Read(segment.Handle, key, _readOffset + SpoolRecordHeader.Size);
            RandomAccess.Read(segment.Handle, value, _readOffset + SpoolRecordHeader.Size + header.KeyLength);
            _readOffset += SpoolRecordHeader.Size + header.BodyLength;
            if (header.Id < Committed)
            {
                continue;
            }

            _readHigh = Math.Max(_readHigh, header.Id + 1);
            entry = new SpoolEntry(header.Id, header.Topic, key, value);
            return true;
        }

        entry = default;
        return false;
    }

    /// <summary>Moves the read cursor back (or forward) to the record with <paramref name="id"/> (or the oldest kept one).</summary>
    public void Rewind(ulong id)
    {
        _readSegment = 0;
        _readOffset = SegmentHeaderSize;
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            if (_segments[i].FirstId <= id)
            {
                _readSegment = i;
                break;
            }
        }

        if (_segments.Count == 0)
        {
            return;
        }

        // Walk headers to the record.
        var segment = _segments[_readSegment];
        Span<byte> headerBytes = stackalloc byte[SpoolRecordHeader.Size];
        while (_readOffset < segment.Length)
        {
            RandomAccess.Read(segment.Handle, headerBytes, _readOffset);
            var header = new SpoolRecordHeader(headerBytes);
            if (header.Id >= id)
            {
                break;
            }

            _readOffset += SpoolRecordHeader.Size + header.BodyLength;
        }
    }

    /// <summary>Records that every id below <paramref name="nextUnacknowledged"/> is delivered; deletes finished segments.</summary>
    public void Commit(ulong nextUnacknowledged)
    {
        if (nextUnacknowledged <= Committed)
        {
            return;
        }

        Committed = Math.Min(nextUnacknowledged, NextId);
        while (_segments.Count > 1 && _segments[0].NextId <= Committed)
        {
            DeleteOldestSegment();
        }
    }

    /// <summary>Writes the commit point to disk when it moved (the loop calls this once per batch of events).</summary>
    public void PersistCommit()
    {
        if (_persistedCommit != Committed)
        {
            _commitFile.Write(Committed);
            _persistedCommit = Committed;
        }
    }

    public void Dispose()
    {
        PersistCommit();
        foreach (var segment in _segments)
        {
            segment.Handle.Dispose();
        }

        _segments.Clear();
    }

    private void EnforceBound()
    {
        while (Bytes > _maxBytes && _segments.Count > 1)
        {
            var oldest = _segments[0];
            var firstUnsent = Math.Max(Math.Max(Committed, oldest.FirstId), _readHigh);
            if (oldest.NextId > firstUnsent)
            {
                DroppedRecords += (long)(oldest.NextId - firstUnsent);
            }

            DeleteOldestSegment();
            Committed = Math.Max(Committed, _segments[0].FirstId);
        }
    }

    private void DeleteOldestSegment()
    {
        var oldest = _segments[0];
        oldest.Handle.Dispose();
        File.Delete(oldest.Path);
        Bytes -= oldest.Length;
        _segments.RemoveAt(0);
        if (_readSegment > 0)
        {
            _readSegment--;
        }
        else
        {
            _readOffset = SegmentHeaderSize; // the reader was in the dropped segment: continue at the next one
        }
    }

    private Segment CreateSegment(ulong firstId)
    {
        var path = Path.Join(_directory, firstId.ToString("D20", CultureInfo.InvariantCulture) + SegmentExtension);
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        Span<byte> header = stackalloc byte[SegmentHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, SegmentMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], LayoutVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0);
        RandomAccess.Write(handle, header, 0);
        var segment = new Segment(path, handle, firstId) { Length = SegmentHeaderSize, NextId = firstId };
        _segments.Add(segment);
        Bytes += SegmentHeaderSize;
        return segment;
    }

    private void Recover()
    {
        var files = Directory.GetFiles(_directory, "*" + SegmentExtension);
        Array.Sort(files, StringComparer.Ordinal);
        Span<byte> header = stackalloc byte[SpoolRecordHeader.Size];
        foreach (var path in files)
        {
            if (!ulong.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var firstId))
            {
                continue; // not ours
            }

            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            var fileLength = RandomAccess.GetLength(handle);
            var segmentHeader = header[..SegmentHeaderSize];
            if (fileLength < SegmentHeaderSize || RandomAccess.Read(handle, segmentHeader, 0) < SegmentHeaderSize
                || BinaryPrimitives.ReadUInt32LittleEndian(segmentHeader) != SegmentMagic
                || BinaryPrimitives.ReadUInt16LittleEndian(segmentHeader[4..]) != LayoutVersion)
            {
                handle.Dispose();
                File.Delete(path);
                TruncatedAtRecovery++;
                continue;
            }

            var segment = new Segment(path, handle, firstId) { Length = SegmentHeaderSize, NextId = firstId };
            var offset = (long)SegmentHeaderSize;
            var expectedId = firstId;
            while (offset + SpoolRecordHeader.Size <= fileLength)
            {
                RandomAccess.Read(handle, header, offset);
                var record = new SpoolRecordHeader(header);
                if (!record.IsPlausible || record.Id != expectedId || offset + SpoolRecordHeader.Size + record.BodyLength > fileLength)
                {
                    break;
                }

                var body = ArrayPool<byte>.Shared.Rent(record.BodyLength);
                try
                {
                    var span = body.AsSpan(0, record.BodyLength);
                    RandomAccess.Read(handle, span, offset + SpoolRecordHeader.Size);
                    if (SpoolRecordHeader.ComputeCrc(header, span) != record.Crc)
                    {
                        break;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(body);
                }

                offset += SpoolRecordHeader.Size + record.BodyLength;
                expectedId++;
            }

            if (offset < fileLength)
            {
                TruncatedAtRecovery++;
                RandomAccess.SetLength(handle, offset);
            }

            segment.Length = offset;
            segment.NextId = expectedId;
            if (_segments.Count > 0 && _segments[^1].NextId > firstId)
            {
                // Overlapping ids cannot come from this code; keep the older segment, drop this one.
                handle.Dispose();
                File.Delete(path);
                continue;
            }

            _segments.Add(segment);
            Bytes += segment.Length;
        }

        // Empty segments other than the last carry nothing.
        for (var i = _segments.Count - 2; i >= 0; i--)
        {
            if (_segments[i].NextId == _segments[i].FirstId)
            {
                _segments[i].Handle.Dispose();
                File.Delete(_segments[i].Path);
                Bytes -= _segments[i].Length;
                _segments.RemoveAt(i);
            }
        }

        NextId = Math.Max(_segments.Count == 0 ? 1 : _segments[^1].NextId, Math.Max(Committed, 1));
        if (_segments.Count > 0 && _segments[^1].NextId < NextId)
        {
            // The commit point is ahead of what is on disk (segments deleted by hand): start a fresh segment.
            CreateSegment(NextId);
        }

        while (_segments.Count > 1 && _segments[0].NextId <= Committed)
        {
            DeleteOldestSegment();
        }
    }

    private sealed class Segment(string path, SafeFileHandle handle, ulong firstId)
    {
        public string Path { get; } = path;
        public SafeFileHandle Handle { get; } = handle;
        public ulong FirstId { get; } = firstId;
        public ulong NextId { get; set; }
        public long Length { get; set; }
    }
}

/// <summary>One record read back from the spool.</summary>
internal readonly record struct SpoolEntry(ulong Id, SpoolTopic Topic, byte[] Key, byte[] Value);
