using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Platform.Agents.Collectors.Logs;

/// <summary>
/// A file's identity (device and inode) and size, from statx(2): the identity follows a file through a
/// rename, which is how rotation by rename is told apart from a new file at the same path.
/// </summary>
internal readonly partial record struct FileIdentity(ulong Device, ulong Inode)
{
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;

    /// <summary>Stats <paramref name="path"/> (following symlinks); false when it does not exist or cannot be stat'ed.</summary>
    public static bool TryGet(string path, out FileIdentity identity, out long size)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        buffer.Clear();
        int result;
        try
        {
            result = Native.StatX(AtFdCwd, path, 0, StatxBasicStats, ref MemoryMarshal.GetReference(buffer));
        }
        catch (EntryPointNotFoundException)
        {
            result = -2;
        }
        catch (DllNotFoundException)
        {
            result = -2;
        }

        if (result == -2)
        {
            // No statx (very old libc): the path stands in for the identity; rotation is then seen by size only.
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                identity = default;
                size = 0;
                return false;
            }

            identity = new FileIdentity(0, (ulong)StringComparer.Ordinal.GetHashCode(path));
            size = info.Length;
            return true;
        }

        if (result != 0)
        {
            identity = default;
            size = 0;
            return false;
        }

        // struct statx: stx_ino at 32, stx_size at 40, stx_dev_major at 136, stx_dev_minor at 140.
        var inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]);
        size = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[40..]);
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer[140..]);
        identity = new FileIdentity(device, inode);
        return true;
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int StatX(int dirfd, string path, int flags, uint mask, ref byte buffer);
    }
}
