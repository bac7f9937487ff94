using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Google.Protobuf;
using Platform.Agents;
using Platform.Agents.Publishing;
using Platform.Telemetry;
using Platform.Telemetry.V1;

namespace Platform.Bench.Fleet;

/// <summary>What the simulator does: how many hosts, how many series each, how often, how many log lines.</summary>
internal sealed record FleetSimulatorOptions(string Bootstrap, int Hosts, int SeriesPerHost, TimeSpan Interval, int LogLinesPerTick, StimulusPlan Plan, long StartUnixMs);

/// <summary>
/// N virtual hosts publishing through one Confluent.Kafka producer built with the agent's own settings
/// (<see cref="KafkaTransport.BuildConfig"/>: acks=all, idempotence, lz4, linger 5 ms), records encoded as the agent
/// encodes them (protobuf <see cref="MetricBatch"/> and <see cref="LogBatch"/>, key = UTF-8 host id, header
/// ct = <see cref="Topics.ProtobufContentType"/>). Hosts are spread evenly over the interval as independent agents
/// are. A metric batch is written by <see cref="MetricBatchWriter"/> (Google.Protobuf's bytes, checked at start, without
/// walking a message tree); a tick costs a random-walk step and one copy of the encoded series per host.
/// Reports on <paramref name="output"/>: <c>STIMULUS k host timestamp</c> for the first batch of each stimulus.
/// </summary>
internal sealed class FleetSimulator(FleetSimulatorOptions options, Action<string> output)
{
    private static readonly string[] Messages =
    [
        "GET /api/items/42 200 12ms", "POST /api/orders 201 48ms", "GET /health 200 1ms", "worker: job 7731 done in 220ms",
        "GET /api/items/7 404 3ms", "cache miss ratio 0.07", "PUT /api/users/19 204 9ms", "gc: pause 4ms",
    ];

    private long _batches;
    private long _logBatches;
    private long _queueFull;
    private long _delivered;
    private long _errors;
    private string? _lastError;

    public long Batches => Interlocked.Read(ref _batches);

    public long Samples => Batches * options.SeriesPerHost;

    public long LogBatches => Interlocked.Read(ref _logBatches);

    public long QueueFull => Interlocked.Read(ref _queueFull);

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Errors => Interlocked.Read(ref _errors);

    public string? LastError => _lastError;

    /// <summary>Ticks would fall behind: the simulator could not keep its own rate.</summary>
    public long LateTicks { get; private set; }

    public void Run(CancellationToken cancellationToken)
    {
        var config = KafkaTransport.BuildConfig(new AgentOptions { Bootstrap = options.Bootstrap });
        config.ClientId = "fleet-sim";
        using var producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) => _lastError = e.ToString())
            .SetLogHandler((_, _) => { })
            .Build();
        var headers = new Headers { new Header(Topics.ContentTypeHeader, TelemetryCodec.ProtobufContentTypeUtf8.ToArray()) };
        var model = HostModel.Create(options.SeriesPerHost);
        var writer = new MetricBatchWriter(model, "fleet-sim");
        var probe = new HostState(model, 0);
        probe.Values[1] = 0; // a zero value is left out of the encoding: check that too
        writer.Verify(model, HostId(0), probe.Values, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1);
        var logs = new LogBatch { SchemaVersion = Topics.SchemaVersion, AgentRunId = "fleet-sim" };
        for (var i = 0; i < options.LogLinesPerTick; i++)
        {
            logs.Records.Add(new LogRecord { Source = "/var/log/app.log", Severity = Severity.Info });
        }

        var hosts = options.Hosts;
        var ids = new string[hosts];
        var keys = new byte[hosts][];
        var states = new HostState[hosts];
        for (var h = 0; h < hosts; h++)
        {
            ids[h] = HostId(h);
            keys[h] = TelemetryCodec.EncodeKey(ids[h]);
            states[h] = new HostState(model, h);
        }

        var stimulated = new bool[hosts];
        foreach (var h in options.Plan.StimulatedHosts())
        {
            stimulated[h] = true;
        }

        var reported = new bool[options.Plan.Count];
        Action<DeliveryReport<byte[], byte[]>> onDelivery = report =>
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref _errors);
                _lastError = report.Error.ToString();
            }
            else
            {
                Interlocked.Increment(ref _delivered);
            }
        };

        var intervalTicks = (long)(options.Interval.TotalSeconds * Stopwatch.Frequency);
        var perMillisecond = Math.Max(1, (int)(hosts / options.Interval.TotalMilliseconds));
        var tickStart = Stopwatch.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            for (var h = 0; h < hosts && !cancellationToken.IsCancellationRequested; h++)
            {
                if (h % perMillisecond == 0)
                {
                    var due = tickStart + (intervalTicks * h / hosts);
                    while (Stopwatch.GetTimestamp() < due)
                    {
                        Thread.Sleep(1);
                    }
                }

                var state = states[h];
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var k = stimulated[h] ? options.Plan.ActiveOn(h, TimeSpan.FromMilliseconds(now - options.StartUnixMs)) : -1;
                state.Forced = k >= 0 ? options.Plan.Value : null;
                state.Step(model);
                state.Sequence++;
                if (k >= 0 && !reported[k])
                {
                    reported[k] = true;
                    output(string.Create(CultureInfo.InvariantCulture, $"STIMULUS {k} {ids[h]} {now}"));
                }

                Produce(producer, Topics.Metrics, keys[h], writer.Write(keys[h], state.Values, now, state.Sequence), headers, onDelivery);
                _batches++;
                if (logs.Records.Count > 0)
                {
                    logs.HostId = ids[h];
                    logs.TimestampUnixMs = now;
                    logs.Sequence = state.Sequence;
                    for (var i = 0; i < logs.Records.Count; i++)
                    {
                        var record = logs.Records[i];
                        record.TimestampUnixMs = now;
                        record.Message = Messages[(int)((state.Sequence + (ulong)i + (ulong)h) % (ulong)Messages.Length)];
                    }

                    Produce(producer, Topics.Logs, keys[h], logs.ToByteArray(), headers, onDelivery);
                    _logBatches++;
                }
            }

            tickStart += intervalTicks;
            if (Stopwatch.GetTimestamp() > tickStart + intervalTicks)
            {
                // A whole tick behind: the simulator cannot keep its rate; start the next tick now rather than bursting.
                LateTicks++;
                tickStart = Stopwatch.GetTimestamp();
            }
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    public static string HostId(int host) => $"host-{host}";

    private void Produce(IProducer<byte[], byte[]> producer, string topic, byte[] key, byte[] value, Headers headers, Action<DeliveryReport<byte[], byte[]>> onDelivery)
    {
        var message = new Message<byte[], byte[]> { Key = key, Value = value, Headers = headers };
        while (true)
        {
            try
            {
                producer.Produce(topic, message, onDelivery);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The client's queue is full: the broker does not keep up. Wait for room, as the agent's spool would.
                Interlocked.Increment(ref _queueFull);
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }
}
