using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Platform.Broker.Storage;

/// <summary>
/// CRC-32C (Castagnoli) on the CPU's CRC32 instruction via <see cref="BitOperations.Crc32C(uint, ulong)"/>. The
/// instruction has a latency of about three cycles but a throughput of one per cycle, so long inputs are cut into
/// rounds of three blocks whose CRCs run as three independent chains and are then joined: for the raw register
/// (no pre/post inversion), crc(s, A‖B) = shift|B|(crc(s, A)) ⊕ crc(0, B), where shift is the linear map "feed
/// |B| zero bytes". That map is precomputed once, by feeding zero bytes through the instruction itself, as four
/// 256-entry lookup tables for one block length.
/// </summary>
internal static class Crc32C
{
    private const int Block = 512;
    private static readonly uint[] ShiftTable = BuildShiftTable();

    /// <summary>The CRC-32C of <paramref name="data"/> (initial value and final XOR 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>Feeds <paramref name="data"/> into a raw CRC register.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        if (BitConverter.IsLittleEndian)
        {
            while (data.Length >= 3 * Block)
            {
                var words = MemoryMarshal.Cast<byte, ulong>(data[..(3 * Block)]);
                var a = words[..(Block / 8)];
                var b = words.Slice(Block / 8, Block / 8);
                var c = words.Slice(2 * Block / 8, Block / 8);
                uint c0 = crc, c1 = 0, c2 = 0;
                for (var i = 0; i < a.Length; i++)
                {
                    c0 = BitOperations.Crc32C(c0, a[i]);
                    c1 = BitOperations.Crc32C(c1, b[i]);
                    c2 = BitOperations.Crc32C(c2, c[i]);
                }

                crc = Shift(Shift(c0) ^ c1) ^ c2;
                data = data[(3 * Block)..];
            }
        }

        var j = 0;
        for (; j + 8 <= data.Length; j += 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[j..]));
        }

        for (; j < data.Length; j++)
        {
            crc = BitOperations.Crc32C(crc, data[j]);
        }

        return crc;
    }

    /// <summary>The register after <see cref="Block"/> zero bytes, from four table lookups.</summary>
    private static uint Shift(uint crc) =>
        ShiftTable[crc & 0xFF] ^ ShiftTable[256 + ((crc >> 8) & 0xFF)] ^ ShiftTable[512 + ((crc >> 16) & 0xFF)] ^ ShiftTable[768 + (crc >> 24)];

    private static uint[] BuildShiftTable()
    {
        // The image of each single-bit register under "feed Block zero bytes"; the map is linear, so any register's
        // image is the XOR of its bits' images, tabulated per byte.
        Span<uint> bitImage = stackalloc uint[32];
        for (var bit = 0; bit < 32; bit++)
        {
            var r = 1u << bit;
            for (var i = 0; i < Block / 8; i++)
            {
                r = BitOperations.Crc32C(r, 0UL);
            }

            bitImage[bit] = r;
        }

        var table = new uint[4 * 256];
        for (var lane = 0; lane < 4; lane++)
        {
            for (var value = 0; value < 256; value++)
            {
                uint image = 0;
                for (var bit = 0; bit < 8; bit++)
                {
                    if ((value & (1 << bit)) != 0)
                    {
                        image ^= bitImage[(lane * 8) + bit];
                    }
                }

                table[(lane * 256) + value] = image;
            }
        }

        return table;
    }
}
