using Platform.Broker.Groups;
using Platform.Broker.Protocol;
using Platform.Broker.Storage;
using Prometheus;

namespace Platform.Broker.Metrics;

/// <summary>
/// The broker's Prometheus metrics in an instance-scoped registry (several brokers can share a process): per-API
/// request counts and latency, bytes in and out, connections, and — refreshed at each scrape — partition sizes and
/// offsets and consumer-group lag.
/// </summary>
internal sealed class BrokerMetrics
{
    private static readonly string[] ApiNames = BuildApiNames();

    private readonly Counter.Child[] _requests;
    private readonly Histogram.Child[] _latency;
    private readonly Counter.Child _unknownRequests;
    private readonly Counter.Child[] _denials;
    private readonly Gauge _partitionBytes;
    private readonly Gauge _queuedRequestBytes;
    private readonly Gauge _fetchAnswerBytes;
    private readonly Gauge _partitionEnd;
    private readonly Gauge _partitionStart;
    private readonly Gauge _groupLag;
    private readonly Gauge _groupMembers;
    private readonly Lock _refreshLock = new();
    private HashSet<(string Topic, string Partition)> _publishedPartitions = [];
    private HashSet<(string Group, string Topic, string Partition)> _publishedLags = [];

    public BrokerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        var requests = factory.CreateCounter("broker_requests_total", "Kafka requests handled, by API.", "api");
        var latency = factory.CreateHistogram("broker_request_duration_seconds", "Time from a request's arrival to its response being ready, by API.",
            new HistogramConfiguration { LabelNames = ["api"], Buckets = Histogram.ExponentialBuckets(0.0001, 2.5, 14) });
        _requests = new Counter.Child[ApiNames.Length];
        _latency = new Histogram.Child[ApiNames.Length];
        for (var i = 0; i < ApiNames.Length; i++)
        {
            _requests[i] = requests.WithLabels(ApiNames[i]);
            _latency[i] = latency.WithLabels(ApiNames[i]);
        }

        _unknownRequests = requests.WithLabels("unknown");
        BytesIn = factory.CreateCounter("broker_network_received_bytes_total", "Bytes of request frames received.");
        BytesOut = factory.CreateCounter("broker_network_sent_bytes_total", "Bytes of response frames sent.");
        Connections = factory.CreateGauge("broker_connections", "Open client connections.");
        _queuedRequestBytes = factory.CreateGauge("broker_queued_request_bytes", "Bytes of requests read and not yet answered, over all connections (bounded by MaxQueuedRequestBytes).");
        _fetchAnswerBytes = factory.CreateGauge("broker_fetch_answer_bytes", "Bytes of Fetch answers built and not yet sent, over all connections (bounded by MaxQueuedFetchBytes).");
        RejectedConnections = factory.CreateCounter("broker_connections_rejected_total", "Connections closed at once because the connection limit was reached.");
        TimedOutConnections = factory.CreateCounter("broker_connections_timed_out_total", "Connections closed for idling past ConnectionIdleTimeout or not finishing a frame within FrameTimeout.");
        ProtocolErrors = factory.CreateCounter("broker_protocol_errors_total", "Connections closed because of a malformed, truncated or oversized request.");
        _partitionBytes = factory.CreateGauge("broker_partition_size_bytes", "Bytes on disk of a partition's segments.", "topic", "partition");
        _partitionEnd = factory.CreateGauge("broker_partition_log_end_offset", "A partition's log end offset (high watermark).", "topic", "partition");
        _partitionStart = factory.CreateGauge("broker_partition_log_start_offset", "A partition's first retained offset.", "topic", "partition");
        _groupLag = factory.CreateGauge("broker_consumer_group_lag", "Log end offset minus the group's committed offset.", "group", "topic", "partition");
        _groupMembers = factory.CreateGauge("broker_consumer_group_members", "Members of a consumer group.", "group");
        SaslSuccesses = factory.CreateCounter("broker_sasl_authentications_total", "Successful SASL authentications, by mechanism.", "mechanism");
        SaslFailures = factory.CreateCounter("broker_sasl_authentication_failures_total", "Failed SASL authentications, by mechanism.", "mechanism");
        SaslRateLimited = factory.CreateCounter("broker_sasl_rate_limited_total", "SASL authentications refused because the source address failed too often.");
        UnauthenticatedRequests = factory.CreateCounter("broker_unauthenticated_requests_total", "Connections closed for sending a request before authenticating (or not authenticating in time).");
        TlsFailures = factory.CreateCounter("broker_tls_handshake_failures_total", "Connections closed because their TLS handshake failed.");
        var denials = factory.CreateCounter("broker_authorization_denials_total", "Resources refused by the ACLs, by API.", "api");
        _denials = new Counter.Child[ApiNames.Length];
        for (var i = 0; i < ApiNames.Length; i++)
        {
            _denials[i] = denials.WithLabels(ApiNames[i].Length > 0 ? ApiNames[i] : "unknown");
        }
    }

    public Counter SaslSuccesses { get; }

    public Counter SaslFailures { get; }

    public Counter SaslRateLimited { get; }

    public Counter UnauthenticatedRequests { get; }

    public Counter TlsFailures { get; }

    public void RecordDenial(short apiKey)
    {
        if ((uint)apiKey < (uint)_denials.Length)
        {
            _denials[apiKey].Inc();
        }
    }

    public CollectorRegistry Registry { get; }

    public Counter BytesIn { get; }

    public Counter BytesOut { get; }

    public Gauge Connections { get; }

    public Counter RejectedConnections { get; }

    public Counter ProtocolErrors { get; }

    public Counter TimedOutConnections { get; }

    public void RecordRequest(short apiKey, double seconds)
    {
        if ((uint)apiKey < (uint)_requests.Length && ApiNames[apiKey].Length > 0)
        {
            _requests[apiKey].Inc();
            _latency[apiKey].Observe(seconds);
        }
        else
        {
            _unknownRequests.Inc();
        }
    }

    /// <summary>Refreshes the two broker-wide memory budgets' gauges before every scrape.</summary>
    public void AttachBudgets(Func<long> queuedRequestBytes, Func<long> fetchAnswerBytes)
    {
        Registry.AddBeforeCollectCallback(() =>
        {
            _queuedRequestBytes.Set(queuedRequestBytes());
            _fetchAnswerBytes.Set(fetchAnswerBytes());
        });
    }

    /// <summary>Refreshes the log and group gauges from the live state before every scrape.</summary>
    public void AttachState(LogManager log, GroupCoordinator groups)
    {
        Registry.AddBeforeCollectCallback(() =>
        {
            lock (_refreshLock)
            {
                Refresh(log, groups);
            }
        });
    }

    private void Refresh(LogManager log, GroupCoordinator groups)
    {
        var partitions = new HashSet<(string, string)>();
        foreach (var topic in log.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                var partition = p.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
                partitions.Add((topic.Name, partition));
                _partitionBytes.WithLabels(topic.Name, partition).Set(p.SizeInBytes);
                _partitionEnd.WithLabels(topic.Name, partition).Set(p.LogEndOffset);
                _partitionStart.WithLabels(topic.Name, partition).Set(p.LogStartOffset);
            }
        }

        // Deleted topics leave the exposition instead of freezing at their last values.
        foreach (var (topic, partition) in _publishedPartitions)
        {
            if (!partitions.Contains((topic, partition)))
            {
                _partitionBytes.RemoveLabelled(topic, partition);
                _partitionEnd.RemoveLabelled(topic, partition);
                _partitionStart.RemoveLabelled(topic, partition);
            }
        }

        _publishedPartitions = partitions;
        var lags = new HashSet<(string, string, string)>();
        foreach (var (groupId, _, _) in groups.ListGroups())
        {
            if (groups.TryGetGroup(groupId, out var group))
            {
                _groupMembers.WithLabels(groupId).Set(group.MemberCount);
            }

            foreach (var (topicName, partition, committed) in groups.Offsets.GetAll(groupId))
            {
                if (log.TryGetTopic(topicName, out var topic) && partition < topic.Partitions.Count)
                {
                    var label = partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    lags.Add((groupId, topicName, label));
                    var lag = Math.Max(0, topic.Partitions[partition].LogEndOffset - committed.Offset);
                    _groupLag.WithLabels(groupId, topicName, label).Set(lag);
                }
            }
        }

        foreach (var (group, topic, partition) in _publishedLags)
        {
            if (!lags.Contains((group, topic, partition)))
            {
                _groupLag.RemoveLabelled(group, topic, partition);
            }
        }

        _publishedLags = lags;
    }

    private static string[] BuildApiNames()
    {
        var names = new string[ApiVersionTable.MaxApiKey + 1];
        Array.Fill(names, "");
        foreach (var r in ApiVersionTable.Supported)
        {
            names[(int)r.Key] = r.Key.ToString();
        }

        return names;
    }
}
