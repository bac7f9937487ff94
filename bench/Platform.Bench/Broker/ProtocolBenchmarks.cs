using System.Buffers;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Broker;
using Platform.Broker.Groups;
using Platform.Broker.Protocol;
using Platform.Broker.Storage;

namespace Platform.Bench.Broker;

/// <summary>
/// The broker's request path without the network: cutting frames and parsing headers, and answering a Fetch from a
/// real partition (whole batches copied from the segment into the pooled response buffer).
/// Run: <c>dotnet run -c Release --project bench/Platform.Bench -- micro --filter *ProtocolBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks
{
    private const int Frames = 100;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"protocol-bench-{Guid.NewGuid():N}");
    private byte[] _frames = [];
    private byte[] _fetch = [];
    private LogManager _log = null!;
    private GroupCoordinator _groups = null!;
    private RequestDispatcher _dispatcher = null!;
    private ConnectionInfo _connection = null!;

    [GlobalSetup]
    public void Setup()
    {
        // 100 Metadata v8 request frames back to back (client id "rdkafka", no topics).
        var one = Frame(w =>
        {
            Int16(w, 3);
            Int16(w, 8);
            Int32(w, 1);
            String(w, "rdkafka");
            Int32(w, 0);
            w.Write(new byte[] { 1, 0, 0 });
        });
        _frames = Enumerable.Repeat(one, Frames).SelectMany(f => f).ToArray();

        Directory.CreateDirectory(_directory);
        _log = LogManager.Open(new LogOptions { DataDirectory = _directory, FlushMode = FlushMode.GroupCommit }, NullLoggerFactory.Instance);
        var partition = _log.CreateTopic("bench", 1).Partitions[0];
        var value = new byte[200];
        for (var b = 0; b < 100; b++)
        {
            var builder = new RecordBatchBuilder();
            for (var r = 0; r < 50; r++)
            {
                builder.Add(null, value);
            }

            partition.AppendAsync(builder.Build()).AsTask().GetAwaiter().GetResult();
        }

        _groups = new GroupCoordinator(_directory, TimeSpan.Zero, 1000, 60000, new BrokerOptions().OffsetsRetention, NullLogger.Instance);
        _dispatcher = new RequestDispatcher(_log, _groups, new BrokerOptions(), NullLogger.Instance);
        _connection = new ConnectionInfo("127.0.0.1", 9092, "127.0.0.1", 1);

        // Fetch v11 of the whole partition (about 1 MB) with max_wait 0.
        _fetch = Frame(w =>
        {
            Int16(w, 1);
            Int16(w, 11);
            Int32(w, 2);
            String(w, "rdkafka");
            Int32(w, -1);
            Int32(w, 0);
            Int32(w, 1);
            Int32(w, 52428800);
            w.Write(new byte[] { 0 });
            Int32(w, 0);
            Int32(w, -1);
            Int32(w, 1);
            String(w, "bench");
            Int32(w, 1);
            Int32(w, 0);
            Int32(w, -1);
            Int64(w, 0);
            Int64(w, -1);
            Int32(w, 4 << 20);
            Int32(w, 0);
            String(w, "");
        })[4..];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _groups.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public int CutFramesAndParseHeaders()
    {
        var buffer = new ReadOnlySequence<byte>(_frames);
        var clientIds = new ClientIdCache();
        var sum = 0;
        while (FrameDecoder.TryReadFrame(ref buffer, 1 << 20, out var frame))
        {
            var reader = new KafkaReader(frame.FirstSpan);
            sum += RequestHeader.Read(ref reader, clientIds).CorrelationId;
        }

        return sum;
    }

    [Benchmark]
    public async Task<int> AnswerFetchOfOneMegabyte()
    {
        var array = ArrayPool<byte>.Shared.Rent(_fetch.Length);
        _fetch.CopyTo(array, 0);
        var reader = new KafkaReader(array.AsSpan(0, _fetch.Length));
        var header = RequestHeader.Read(ref reader);
        using var context = new RequestContext(array, _fetch.Length, header, reader.Position, _connection, 0);
        using var response = await _dispatcher.DispatchAsync(context, CancellationToken.None);
        return response!.Length;
    }

    private static byte[] Frame(Action<ArrayBufferWriter<byte>> body)
    {
        var w = new ArrayBufferWriter<byte>();
        body(w);
        var frame = new byte[w.WrittenCount + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, w.WrittenCount);
        w.WrittenSpan.CopyTo(frame.AsSpan(4));
        return frame;
    }

    private static void Int16(ArrayBufferWriter<byte> w, short v)
    {
        BinaryPrimitives.WriteInt16BigEndian(w.GetSpan(2), v);
        w.Advance(2);
    }

    private static void Int32(ArrayBufferWriter<byte> w, int v)
    {
        BinaryPrimitives.WriteInt32BigEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void Int64(ArrayBufferWriter<byte> w, long v)
    {
        BinaryPrimitives.WriteInt64BigEndian(w.GetSpan(8), v);
        w.Advance(8);
    }

    private static void String(ArrayBufferWriter<byte> w, string s)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(s);
        Int16(w, (short)bytes.Length);
        w.Write(bytes);
    }
}
