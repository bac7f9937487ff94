using System.Buffers.Binary;
using System.Text;
using Platform.Broker.Storage;

namespace Platform.Faults.Tests;

/// <summary>
/// Makes malformed Kafka request frames: random bytes, bit flips and byte edits of valid requests, truncations,
/// lying array counts and huge or negative frame lengths. Seeded, so a failing run can be replayed.
/// </summary>
internal sealed class FrameFuzzer
{
    private readonly Random _random;
    private readonly byte[][] _seeds;

    public FrameFuzzer(int seed, string topic)
    {
        _random = new Random(seed);
        var batch = new RecordBatchBuilder().Add("key", "fuzz-value").Add("k2", "v2").Build();
        _seeds =
        [
            Request(18, 0, _ => { }), // ApiVersions v0
            Request(18, 3, w => w.Raw([5, (byte)'f', (byte)'u', (byte)'z', (byte)'z', 2, (byte)'1', 0]), flexibleHeader: true),
            Request(3, 1, w => w.Int32(1).String(topic)), // Metadata v1
            Request(3, 4, w => w.Int32(1).String(topic).Int8(0)), // Metadata v4, no auto-create
            // Produce v3: transactional id, acks, timeout, [topic [partition, records]].
            Request(0, 3, w => w.String(null).Int16(-1).Int32(5000).Int32(1).String(topic).Int32(1).Int32(0).Bytes(batch)),
            // Fetch v4: replica, max wait, min bytes, max bytes, isolation, [topic [partition, offset, max bytes]].
            Request(1, 4, w => w.Int32(-1).Int32(10).Int32(1).Int32(65536).Int8(0).Int32(1).String(topic).Int32(1).Int32(0).Int64(0).Int32(65536)),
            // ListOffsets v1: replica, [topic [partition, timestamp]].
            Request(2, 1, w => w.Int32(-1).Int32(1).String(topic).Int32(1).Int32(0).Int64(-1)),
            Request(10, 1, w => w.String("fuzz-group").Int8(0)), // FindCoordinator v1
            Request(9, 1, w => w.String("fuzz-group").Int32(1).String(topic).Int32(1).Int32(0)), // OffsetFetch v1
            Request(12, 1, w => w.String("fuzz-group").Int32(1).String("member")), // Heartbeat v1
            // No valid JoinGroup seed: a well-formed join parks its connection up to its rebalance timeout (as in Kafka), and
            // bit flips make that timeout minutes long; JoinGroup's decoder still gets random bodies under api key 11.
        ];
    }

    public int Seeds => _seeds.Length;

    /// <summary>The next frame; <paramref name="last"/> is true when it leaves the stream unusable (a huge length).</summary>
    public byte[] Next(out bool last)
    {
        last = false;
        var seed = _seeds[_random.Next(_seeds.Length)];
        // A huge frame length ends the connection, so it comes rarely to leave room for the other mutations.
        switch (_random.Next(40) == 0 ? 6 : _random.Next(6))
        {
            case 0: // random body with a correct length
            {
                var body = new byte[_random.Next(0, 600)];
                _random.NextBytes(body);
                if (body.Length >= 4 && _random.Next(2) == 0)
                {
                    // A plausible header (known api key, small version) so the body decoders see the garbage.
                    BinaryPrimitives.WriteInt16BigEndian(body, (short)_random.Next(0, 40));
                    BinaryPrimitives.WriteInt16BigEndian(body.AsSpan(2), (short)_random.Next(0, 13));
                }

                return Frame(body);
            }

            case 1: // bit flips of a valid request
            {
                var frame = (byte[])seed.Clone();
                for (var i = _random.Next(1, 9); i > 0; i--)
                {
                    var at = _random.Next(4, frame.Length);
                    frame[at] ^= (byte)(1 << _random.Next(8));
                }

                return frame;
            }

            case 2: // truncated body, with the length saying so
                return Frame(seed.AsSpan(4, _random.Next(0, seed.Length - 4)).ToArray());

            case 3: // a lying int32 (array count, bytes length) somewhere in the body
            {
                var frame = (byte[])seed.Clone();
                if (frame.Length >= 12)
                {
                    var at = _random.Next(12, frame.Length - 3);
                    int[] lies = [int.MaxValue, 0x0FFFFFFF, 1_000_000, -2, int.MinValue, 65_536];
                    BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(at), lies[_random.Next(lies.Length)]);
                }

                return frame;
            }

            case 4: // a lying int16 (string length) or varint byte
            {
                var frame = (byte[])seed.Clone();
                var at = _random.Next(4, frame.Length - 1);
                short[] lies = [short.MaxValue, -2, 0x7F00, 1000];
                BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(at), lies[_random.Next(lies.Length)]);
                return frame;
            }

            case 5: // bytes inserted, deleted or overwritten, the length fixed up
            {
                var body = new List<byte>(seed.AsSpan(4).ToArray());
                for (var i = _random.Next(1, 5); i > 0; i--)
                {
                    var at = _random.Next(body.Count + 1);
                    switch (_random.Next(3))
                    {
                        case 0:
                            body.Insert(at, (byte)_random.Next(256));
                            break;
                        case 1 when at < body.Count:
                            body.RemoveAt(at);
                            break;
                        default:
                            if (at < body.Count)
                            {
                                body[at] = (byte)_random.Next(256);
                            }

                            break;
                    }
                }

                return Frame(body.ToArray());
            }

            default: // a frame length that is huge, negative or longer than what follows
            {
                last = true;
                var frame = (byte[])seed.Clone();
                int[] lengths = [int.MaxValue, -1, int.MinValue, 200 * 1024 * 1024, frame.Length + _random.Next(1, 100_000)];
                BinaryPrimitives.WriteInt32BigEndian(frame, lengths[_random.Next(lengths.Length)]);
                return frame;
            }
        }
    }

    private static byte[] Frame(byte[] body)
    {
        var frame = new byte[body.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    private static byte[] Request(short apiKey, short version, Action<Writer> body, bool flexibleHeader = false)
    {
        var w = new Writer();
        w.Int16(apiKey).Int16(version).Int32(7).String("fuzzer");
        if (flexibleHeader)
        {
            w.Int8(0);
        }

        body(w);
        return Frame(w.ToArray());
    }

    /// <summary>Kafka's big-endian request primitives.</summary>
    private sealed class Writer
    {
        private readonly List<byte> _bytes = [];

        public Writer Int8(sbyte v)
        {
            _bytes.Add((byte)v);
            return this;
        }

        public Writer Int16(short v) => Raw([(byte)(v >> 8), (byte)v]);

        public Writer Int32(int v) => Raw([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);

        public Writer Int64(long v) => Int32((int)(v >> 32)).Int32((int)v);

        public Writer String(string? s)
        {
            if (s is null)
            {
                return Int16(-1);
            }

            var bytes = Encoding.UTF8.GetBytes(s);
            return Int16((short)bytes.Length).Raw(bytes);
        }

        public Writer Bytes(byte[] b) => Int32(b.Length).Raw(b);

        public Writer Raw(ReadOnlySpan<byte> b)
        {
            foreach (var x in b)
            {
                _bytes.Add(x);
            }

            return this;
        }

        public byte[] ToArray() => [.. _bytes];
    }
}
