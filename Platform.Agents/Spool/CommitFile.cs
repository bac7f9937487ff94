using System.Buffers.Binary;

namespace Platform.Agents.Spool;

/// <summary>
/// The spool's commit point on disk, 20 bytes, layout version 1, little-endian:
/// <c>magic "PASC" (4) | version u16 = 1 | reserved u16 | next unacknowledged id u64 | CRC-32C of bytes 0..16 (4)</c>.
/// Replaced atomically (write to a temporary file, then rename). A missing or corrupt file reads as 0:
/// everything in the spool is sent again (at-least-once; consumers drop duplicates by batch sequence).
/// </summary>
internal sealed class CommitFile(string path)
{
    public const int Size = 20;
    private const uint Magic = 0x43534150; // "PASC"
    private const ushort Version = 1;

    public string Path { get; } = path;

    public static void Format(ulong nextUnacknowledged, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], nextUnacknowledged);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], Crc32C.Compute(destination[..16]));
    }

    /// <summary>The commit point in <paramref name="source"/>, or null when it is not a valid version-1 commit record.</summary>
    public static ulong? Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length != Size || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(source[4..]) != Version
            || BinaryPrimitives.ReadUInt32LittleEndian(source[16..]) != Crc32C.Compute(source[..16]))
        {
            return null;
        }

        return BinaryPrimitives.ReadUInt64LittleEndian(source[8..]);
    }

    public ulong Read()
    {
        try
        {
            return Parse(File.ReadAllBytes(Path)) ?? 0;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    public void Write(ulong nextUnacknowledged)
    {
        Span<byte> bytes = stackalloc byte[Size];
        Format(nextUnacknowledged, bytes);
        var temporary = Path + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, bytes, 0);
        }

        File.Move(temporary, Path, overwrite: true);
    }
}
