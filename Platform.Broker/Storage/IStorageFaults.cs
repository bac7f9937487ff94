using Microsoft.Win32.SafeHandles;

namespace Platform.Broker.Storage;

/// <summary>
/// A seam for fault tests: called before every segment write, it may write part of the data itself and throw, as a
/// disk that fills up in the middle of a write does. Production code never sets one.
/// </summary>
internal interface IStorageFaults
{
    void BeforeSegmentWrite(SafeFileHandle file, ReadOnlySpan<byte> data, long position);

    /// <summary>Called before each fsync of a segment (e.g. to make the disk slow).</summary>
    void BeforeFlush()
    {
    }
}
