using Microsoft.Win32.SafeHandles;

namespace Platform.Broker.Storage;

/// <summary>
/// A sparse index of one segment: an <see cref="IndexFileHeader"/> then fixed-size entries with non-decreasing keys,
/// mirrored in memory. One writer (the partition's appender, under its lock) and any number of concurrent readers:
/// an entry is stored before the count that makes it visible. The file is a cache of the segment: when it is
/// missing, stale or damaged it is rebuilt from the .log file.
/// </summary>
internal sealed class IndexFile<T> : IDisposable
    where T : struct, IIndexEntry<T>
{
    private readonly SafeFileHandle _file;
    private T[] _entries;
    private volatile int _count;
    private bool _fileDamaged;
    private int _persisted;

    private IndexFile(string path, long baseOffset, SafeFileHandle file, T[] entries, int count)
    {
        Path = path;
        BaseOffset = baseOffset;
        _file = file;
        _entries = entries;
        _count = count;
        _persisted = count;
    }

    public string Path { get; }

    public long BaseOffset { get; }

    public int Count => _count;

    public T this[int index] => index < _count ? Volatile.Read(ref _entries)[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public T? Last
    {
        get
        {
            var count = _count;
            return count == 0 ? null : Volatile.Read(ref _entries)[count - 1];
        }
    }

    /// <summary>Creates (or empties) the index file.</summary>
    public static IndexFile<T> Create(string path, long baseOffset)
    {
        var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            Span<byte> header = stackalloc byte[IndexFileHeader.Size];
            new IndexFileHeader(T.Magic, IndexFileHeader.CurrentVersion, (ushort)T.Size, baseOffset).Format(header);
            RandomAccess.Write(file, header, 0);
            return new IndexFile<T>(path, baseOffset, file, new T[64], 0);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads an index file and checks its own structure (header, whole entries, keys and positions in order);
    /// null with <paramref name="problem"/> when it is missing or fails a check.
    /// </summary>
    public static IndexFile<T>? TryLoad(string path, long baseOffset, out string? problem)
    {
        if (!File.Exists(path))
        {
            problem = "missing";
            return null;
        }

        var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            var length = RandomAccess.GetLength(file);
            if (length < IndexFileHeader.Size || (length - IndexFileHeader.Size) % T.Size != 0 || length > int.MaxValue)
            {
                problem = $"length {length} is not a header plus whole {T.Size}-byte entries";
                file.Dispose();
                return null;
            }

            var bytes = new byte[length];
            ReadExactly(file, bytes, 0);
            var header = new IndexFileHeader(bytes);
            if (header.Magic != T.Magic || header.Version != IndexFileHeader.CurrentVersion || header.EntrySize != T.Size || header.BaseOffset != baseOffset)
            {
                problem = $"header {header} does not match an index of version {IndexFileHeader.CurrentVersion} for base offset {baseOffset}";
                file.Dispose();
                return null;
            }

            var count = (int)((length - IndexFileHeader.Size) / T.Size);
            var entries = new T[Math.Max(64, count)];
            for (var i = 0; i < count; i++)
            {
                entries[i] = T.Parse(bytes.AsSpan(IndexFileHeader.Size + (i * T.Size)));
                if (i > 0 && entries[i].Key < entries[i - 1].Key)
                {
                    problem = $"entry {i} has key {entries[i].Key} below the key {entries[i - 1].Key} before it";
                    file.Dispose();
                    return null;
                }
            }

            problem = null;
            return new IndexFile<T>(path, baseOffset, file, entries, count);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds an entry (keys must not decrease) in memory; <see cref="Persist"/> writes it out. The file may lag behind:
    /// it is checked against the segment when opened and rebuilt when short.
    /// </summary>
    public void Append(T entry)
    {
        var count = _count;
        var entries = _entries;
        if (count == entries.Length)
        {
            Array.Resize(ref entries, entries.Length * 2);
            Volatile.Write(ref _entries, entries);
        }

        entries[count] = entry;
        _count = count + 1;
    }

    /// <summary>Writes the entries not yet in the file in one write (by the appender, or under its lock). A failed write marks the file for a rebuild.</summary>
    public void Persist()
    {
        var count = _count;
        if (_fileDamaged || _persisted >= count)
        {
            return;
        }

        var pending = count - _persisted;
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(pending * T.Size);
        try
        {
            var entries = Volatile.Read(ref _entries);
            for (var i = 0; i < pending; i++)
            {
                entries[_persisted + i].Format(bytes.AsSpan(i * T.Size, T.Size));
            }

            RandomAccess.Write(_file, bytes.AsSpan(0, pending * T.Size), IndexFileHeader.Size + ((long)_persisted * T.Size));
            _persisted = count;
        }
        catch (IOException)
        {
            _fileDamaged = true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>The index of the last entry whose key is ≤ <paramref name="key"/>, or -1.</summary>
    public int FindLastAtOrBelow(long key)
    {
        var count = _count;
        var entries = Volatile.Read(ref _entries);
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (entries[mid].Key <= key)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    /// <summary>Drops every entry (before a rebuild).</summary>
    public void Clear()
    {
        _count = 0;
        _persisted = 0;
        _fileDamaged = false;
        RandomAccess.SetLength(_file, IndexFileHeader.Size);
    }

    public void Dispose()
    {
        Persist();
        _file.Dispose();
        if (_fileDamaged)
        {
            try
            {
                File.Delete(Path);
            }
            catch (IOException)
            {
                // Rebuilt at the next open anyway: it fails the checks against the segment.
            }
        }
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            var n = RandomAccess.Read(file, buffer, offset);
            if (n == 0)
            {
                throw new EndOfStreamException($"The file ended at byte {offset}.");
            }

            buffer = buffer[n..];
            offset += n;
        }
    }
}
