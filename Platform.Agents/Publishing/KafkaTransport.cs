using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Platform.Agents.Spool;
using Platform.Telemetry;

namespace Platform.Agents.Publishing;

/// <summary>
/// Publishes spooled records with Confluent.Kafka: acks=all, idempotence on (no duplicates or reordering
/// from client retries), compressed batches. Works the same against the platform's broker and a Kafka cluster.
/// </summary>
internal sealed class KafkaTransport : ITransport
{
    private static readonly byte[] ContentType = TelemetryCodec.ProtobufContentTypeUtf8.ToArray();

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly ILogger _logger;
    private readonly Health.AgentCounters _counters;
    private volatile bool _broken;
    private readonly Dictionary<string, long> _lastLogged = new(StringComparer.Ordinal);

    public KafkaTransport(AgentOptions options, Health.AgentCounters counters, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _counters = counters;
        var config = BuildConfig(options);
        var firstClient = StartupPages.Enabled && !Library.IsLoaded;
        if (firstClient)
        {
            // Binding librdkafka (reflection over ~200 functions) and creating the client each touch a few MiB
            // that the client never needs again: load the library first and hand back in between.
            Library.Load();
            StartupPages.Release();
        }

        _producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler(OnError)
            .SetLogHandler(OnLog)
            .Build();
        if (firstClient)
        {
            StartupPages.Release();
        }
    }

    public string Name => "kafka";

    public bool IsBroken => _broken;

    /// <summary>The producer settings; <see cref="AgentOptions.KafkaSettings"/> override them (e.g. SASL for a Kafka cluster).</summary>
    internal static ProducerConfig BuildConfig(AgentOptions options)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = options.Bootstrap,
            ClientId = "platform-agent",
            Acks = Acks.All,
            EnableIdempotence = true,
            CompressionType = options.Compression,
            LingerMs = 5,
            // Reconnect quickly when the broker comes back; librdkafka's default backs off up to 10 s.
            ReconnectBackoffMs = 100,
            ReconnectBackoffMaxMs = 1000,
            // 0 = infinite: the idempotent producer retries a batch until the broker takes it, keeping the
            // order; a finite timeout lets a later batch through before an earlier one that timed out.
            MessageTimeoutMs = (int)options.DeliveryTimeout.TotalMilliseconds,
            SocketKeepaliveEnable = true,
        };
        foreach (var (key, value) in options.KafkaSettings)
        {
            config.Set(key, value);
        }

        return config;
    }

    public void Send(SpoolEntry entry, Action<ulong, DeliveryOutcome, string?> onResult)
    {
        var topic = entry.Topic == SpoolTopic.Logs ? Topics.Logs : Topics.Metrics;
        var message = new Message<byte[], byte[]>
        {
            Key = entry.Key,
            Value = entry.Value,
            Headers = [new Header(Topics.ContentTypeHeader, ContentType)],
        };
        var id = entry.Id;
        try
        {
            _producer.Produce(topic, message, report => onResult(id, Classify(report.Error), report.Error.IsError ? report.Error.ToString() : null));
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            onResult(id, Classify(e.Error), e.Error.ToString());
        }
        catch (KafkaException e)
        {
            onResult(id, e.Error.IsFatal ? DeliveryOutcome.Fatal : DeliveryOutcome.Retry, e.Error.ToString());
        }
    }

    internal static DeliveryOutcome Classify(Error error)
    {
        if (!error.IsError)
        {
            return DeliveryOutcome.Delivered;
        }

        if (error.IsFatal)
        {
            return DeliveryOutcome.Fatal;
        }

        return error.Code switch
        {
            ErrorCode.MsgSizeTooLarge or ErrorCode.InvalidMsg or ErrorCode.Local_BadMsg
                or ErrorCode.RecordListTooLarge or ErrorCode.InvalidRecord or ErrorCode.InvalidMsgSize => DeliveryOutcome.Rejected,
            _ => DeliveryOutcome.Retry,
        };
    }

    public void Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose() => _producer.Dispose();

    private void OnError(IProducer<byte[], byte[]> producer, Error error)
    {
        if (error.IsFatal)
        {
            _broken = true;
            Log.ProducerFatal(_logger, error.ToString());
            return;
        }

        if (error.Code is ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport)
        {
            _counters.SetBrokerReachable(false);
        }

        // librdkafka repeats the same error on every reconnect attempt: log a repeat at most every 30 s.
        var text = error.ToString();
        var now = Environment.TickCount64;
        lock (_lastLogged)
        {
            if (_lastLogged.TryGetValue(text, out var last) && now - last < 30_000)
            {
                return;
            }

            if (_lastLogged.Count > 100)
            {
                _lastLogged.Clear();
            }

            _lastLogged[text] = now;
        }

        Log.ProducerError(_logger, text);
    }

    private void OnLog(IProducer<byte[], byte[]> producer, LogMessage message)
    {
        // Warnings repeat what the error handler reports; only errors and worse are logged from here.
        if (message.Level <= SyslogLevel.Error && message.Facility != "FAIL")
        {
            Log.ProducerLog(_logger, message.Facility, message.Message);
        }
    }
}
