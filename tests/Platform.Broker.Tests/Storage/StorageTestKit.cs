using System.Buffers;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker.Storage;
using Platform.TestKit;

namespace Platform.Broker.Tests.Storage;

/// <summary>A data directory with a <see cref="LogManager"/> over it that tests can close, crash and reopen.</summary>
internal sealed class LogHarness : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("platform-storage");

    public LogHarness(Func<string, LogOptions>? options = null)
    {
        MakeOptions = options ?? (d => new LogOptions { DataDirectory = d });
        Manager = LogManager.Open(MakeOptions(_directory.Path), NullLoggerFactory.Instance);
    }

    public Func<string, LogOptions> MakeOptions { get; }

    public string DataDirectory => _directory.Path;

    public LogManager Manager { get; private set; }

    public PartitionLog Partition(string topic, int partition = 0) =>
        Manager.TryGetTopic(topic, out var t) ? t.Partitions[partition] : throw new InvalidOperationException($"no topic {topic}");

    public string PartitionDirectory(string topic, int partition = 0) => Path.Combine(DataDirectory, $"{topic}-{partition}");

    /// <summary>Closes cleanly and opens again.</summary>
    public async Task ReopenAsync()
    {
        await Manager.DisposeAsync();
        Manager = LogManager.Open(MakeOptions(DataDirectory), NullLoggerFactory.Instance);
    }

    /// <summary>Drops everything as a crash would, then lets <paramref name="damage"/> change files before reopening.</summary>
    public async Task CrashAndReopenAsync(Action? damage = null)
    {
        await Manager.AbandonAsync();
        damage?.Invoke();
        Manager = LogManager.Open(MakeOptions(DataDirectory), NullLoggerFactory.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        _directory.Dispose();
    }
}

internal static class Batches
{
    /// <summary>A batch of <paramref name="count"/> records "k{i}" → "{prefix}-{i}".</summary>
    public static byte[] Make(int count, string prefix = "v", long? timestamp = null, int valueSize = 0)
    {
        var builder = new RecordBatchBuilder();
        for (var i = 0; i < count; i++)
        {
            var value = valueSize > 0 ? new byte[valueSize] : System.Text.Encoding.UTF8.GetBytes($"{prefix}-{i}");
            if (valueSize > 0)
            {
                System.Text.Encoding.UTF8.GetBytes($"{prefix}-{i}").CopyTo(value, 0);
            }

            builder.Add(System.Text.Encoding.UTF8.GetBytes($"k{i}"), value, timestamp);
        }

        return builder.Build();
    }

    public static byte[] Idempotent(long producerId, short epoch, int baseSequence, int count, string prefix = "v")
    {
        var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = baseSequence };
        for (var i = 0; i < count; i++)
        {
            builder.Add($"k{i}", $"{prefix}-{i}");
        }

        return builder.Build();
    }

    /// <summary>Every record from <paramref name="from"/> to the log end: (offset, value as text).</summary>
    public static List<(long Offset, string Value)> ReadAll(PartitionLog log, long from = -1)
    {
        var result = new List<(long, string)>();
        var offset = from < 0 ? log.LogStartOffset : from;
        while (offset < log.LogEndOffset)
        {
            var buffer = new ArrayBufferWriter<byte>();
            var n = log.Read(offset, 64 * 1024, buffer);
            Assert.True(n > 0, $"read at {offset} returned nothing before the log end {log.LogEndOffset}");
            var bytes = buffer.WrittenSpan;
            var p = 0;
            while (p < n)
            {
                var header = new RecordBatchHeader(bytes[p..]);
                var reader = new RecordReader(bytes.Slice(p, (int)header.TotalSize));
                while (reader.TryRead(out var record))
                {
                    if (record.Offset >= offset)
                    {
                        result.Add((record.Offset, System.Text.Encoding.UTF8.GetString(record.Value)));
                    }
                }

                p += (int)header.TotalSize;
                offset = header.LastOffset + 1;
            }
        }

        return result;
    }
}

/// <summary>A clock tests move by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
