using System.Buffers.Binary;

namespace Platform.Broker.Storage;

/// <summary>
/// Small metadata files (checkpoint, producer snapshot, topic metadata, producer-id block): every one ends with a
/// CRC-32C of the bytes before it, and is replaced atomically (written to a temporary file, then renamed over).
/// </summary>
internal static class MetadataFile
{
    public const int CrcSize = 4;

    /// <summary>CRC-32C (Castagnoli) of <paramref name="data"/>.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data) => Storage.Crc32C.Compute(data);

    /// <summary>Writes the CRC of <paramref name="file"/>[..^4] into its last 4 bytes.</summary>
    public static void Seal(Span<byte> file) =>
        BinaryPrimitives.WriteUInt32BigEndian(file[^CrcSize..], Crc32C(file[..^CrcSize]));

    /// <summary>Throws <see cref="InvalidDataException"/> unless the last 4 bytes hold the CRC of the rest.</summary>
    public static void CheckSeal(ReadOnlySpan<byte> file, string what)
    {
        if (file.Length < CrcSize)
        {
            throw new InvalidDataException($"The {what} is {file.Length} bytes, too short.");
        }

        var stored = BinaryPrimitives.ReadUInt32BigEndian(file[^CrcSize..]);
        var computed = Crc32C(file[..^CrcSize]);
        if (stored != computed)
        {
            throw new InvalidDataException($"The {what} fails its CRC-32C check (stored 0x{stored:x8}, computed 0x{computed:x8}).");
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> atomically; fsyncs first when asked.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content, bool durable)
    {
        var temporary = path + ".tmp";
        using (var file = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(file, content, 0);
            if (durable)
            {
                RandomAccess.FlushToDisk(file);
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The whole file, or null when it does not exist.</summary>
    public static byte[]? TryReadAll(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }
}
