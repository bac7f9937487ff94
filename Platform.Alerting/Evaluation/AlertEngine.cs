using System.Text;
using Platform.Alerting.Notifications;
using Platform.Alerting.Rules;
using Google.Protobuf;
using Platform.Telemetry.Alerts;
using Platform.Telemetry.Decoding;
using Platform.Telemetry.V1;

namespace Platform.Alerting.Evaluation;

/// <summary>
/// The alerting core, free of I/O: fed metric and log batches and clock ticks, it keeps windows per series, runs
/// the lifecycle inactive → pending → firing → resolved of every alert and decides the notifications (grouping,
/// silences, maintenance windows, repeats, acknowledgement, escalation). What it decides lands in
/// <see cref="Records"/> (for the <c>alerts</c> topic) and <see cref="Notifications"/> (for the channels); the caller
/// drains both. Not thread-safe: one thread owns an engine.
/// </summary>
internal sealed partial class AlertEngine
{
    private readonly TimeProvider _time;
    private readonly AlertEngineOptions _options;
    private readonly Dictionary<string, CompiledRule> _rules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<CompiledRule>> _metricRules = new(StringComparer.Ordinal);
    private readonly List<CompiledRule> _hostAbsenceRules = [];
    private readonly Dictionary<string, List<CompiledRule>> _seriesAbsenceRules = new(StringComparer.Ordinal);
    private readonly List<CompiledRule> _logRules = [];
    private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HostState> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AlertInstance> _alerts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AlertTransition> _dormant = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _finished = new(StringComparer.Ordinal);
    private readonly StringBuilder _key = new(256);
    private DescriptorRules[] _descriptorRules = new DescriptorRules[256];
    private int _descriptorGeneration;
    private readonly List<AlertInstance> _scratch = [];
    private readonly List<string> _staleKeys = [];
    private int _rulesVersion = 1;

    public AlertEngine(TimeProvider time, AlertEngineOptions options)
    {
        _time = time;
        _options = options;
        Decoder = new MetricBatchDecoder(options.MaxSeries);
        _descriptorGeneration = Decoder.Generation;
    }

    /// <summary>The decoder whose batches <see cref="Ingest(DecodedMetricBatch)"/> takes: the engine keys its caches by
    /// this decoder's descriptor ids, so batches from any other decoder are refused.</summary>
    public MetricBatchDecoder Decoder { get; }

    /// <summary>Records to publish on the <c>alerts</c> topic, in order.</summary>
    public List<AlertTransition> Records { get; } = [];

    /// <summary>Notifications to hand to the channels.</summary>
    public List<Notification> Notifications { get; } = [];

    public IReadOnlyCollection<AlertInstance> Alerts => _alerts.Values;

    public IReadOnlyCollection<CompiledRule> Rules => _rules.Values;

    public IEnumerable<string> Hosts => _hosts.Keys;

    public int SeriesCount => _series.Count;

    /// <summary>Batches dropped as repeats of one already applied (the same host, stream and agent run, a sequence not
    /// above the last applied): the agent's crash replay, or a batch read back and then delivered again.</summary>
    public long DuplicateBatches { get; private set; }

    private DateTimeOffset Now => _time.GetUtcNow();

    // ---- rules ----

    /// <summary>Adds or replaces a rule (a disabled rule is removed). Live alerts of a removed rule disappear with a
    /// <see cref="AlertEvent.Removed"/> record.</summary>
    public void UpsertRule(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (!rule.Enabled)
        {
            RemoveRule(rule.Id);
            return;
        }

        var compiled = new CompiledRule(rule);
        if (_rules.TryGetValue(rule.Id, out var old))
        {
            var labelsChanged = !SameLabels(old.Rule.Labels, compiled.Rule.Labels);
            foreach (var alert in AlertsOf(rule.Id))
            {
                if (labelsChanged || old.Rule.Kind != rule.Kind)
                {
                    Remove(alert);
                }
                else
                {
                    alert.Rule = compiled;
                }
            }
        }

        _rules[rule.Id] = compiled;
        Reindex();
    }

    public void RemoveRule(string ruleId)
    {
        if (!_rules.Remove(ruleId))
        {
            return;
        }

        foreach (var alert in AlertsOf(ruleId))
        {
            Remove(alert);
        }

        Reindex();
    }

    private List<AlertInstance> AlertsOf(string ruleId)
    {
        var list = new List<AlertInstance>();
        foreach (var a in _alerts.Values)
        {
            if (a.Rule.Id == ruleId)
            {
                list.Add(a);
            }
        }

        return list;
    }

    private void Remove(AlertInstance alert)
    {
        var previous = alert.State;
        alert.State = AlertState.Inactive;
        Records.Add(alert.ToRecord(AlertEvent.Removed, previous, Now, _options.Instance));
        _alerts.Remove(alert.Fingerprint);
        _finished[alert.Fingerprint] = Now;
    }

    private static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private void Reindex()
    {
        _rulesVersion++;
        foreach (var host in _hosts.Values)
        {
            host.ClearFingerprints();
        }

        _metricRules.Clear();
        _hostAbsenceRules.Clear();
        _seriesAbsenceRules.Clear();
        _logRules.Clear();
        foreach (var rule in _rules.Values)
        {
            switch (rule.Rule.Kind)
            {
                case RuleKind.Metric:
                    Index(_metricRules, rule.Rule.Metric!.Name, rule);
                    break;
                case RuleKind.Absence when rule.Rule.Absence!.MetricName is { } name:
                    Index(_seriesAbsenceRules, name, rule);
                    break;
                case RuleKind.Absence:
                    _hostAbsenceRules.Add(rule);
                    break;
                case RuleKind.Log:
                    _logRules.Add(rule);
                    break;
                default:
                    break;
            }
        }

        static void Index(Dictionary<string, List<CompiledRule>> index, string name, CompiledRule rule)
        {
            if (!index.TryGetValue(name, out var list))
            {
                index[name] = list = [];
            }

            list.Add(rule);
        }
    }

    // ---- metrics ----

    /// <summary>Takes one host's batch built with the generated protobuf types (tests, tools): it goes through
    /// <see cref="Decoder"/> like a record read from the topic.</summary>
    public bool Ingest(MetricBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Ingest(Decoder.Decode(batch.ToByteArray()));
    }

    /// <summary>Takes one host's batch, decoded by <see cref="Decoder"/> (and not decoded again since): every sample
    /// of a series some rule watches goes into its window and the matching rules are evaluated at once. Whether a
    /// series is watched is decided once per descriptor and rules version, so an unwatched sample costs one array
    /// read; a watched one finds its series in the host's table by descriptor id. A repeat of a batch already applied
    /// (see <see cref="DuplicateBatches"/>) is dropped whole, not even counted as the host's heartbeat: returns false.</summary>
    public bool Ingest(DecodedMetricBatch batch) => Apply(batch, replaying: false);

    /// <summary>Takes a batch read back from before where evaluation resumes (a restart or a partition taken over):
    /// its samples fill the windows and its host becomes known as of the batch's time, but no alert is stepped, so a
    /// firing alert is evaluated next on a full window instead of on the first sample after the hand-over. Its position
    /// is remembered like a live batch's, so the same batch delivered again afterwards is dropped as a repeat.</summary>
    public bool Replay(DecodedMetricBatch batch) => Apply(batch, replaying: true);

    private bool Apply(DecodedMetricBatch batch, bool replaying)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var samples = batch.Samples;
        if (samples.Length > 0 && !IsOurs(samples[0].Series))
        {
            throw new ArgumentException("the batch was not decoded by this engine's Decoder (or it started over since): descriptor ids would mean other series", nameof(batch));
        }

        if (Decoder.Generation != _descriptorGeneration)
        {
            // The decoder started its table over: ids of the earlier generation mean nothing any more.
            Array.Clear(_descriptorRules);
            _descriptorGeneration = Decoder.Generation;
        }

        var known = _hosts.GetValueOrDefault(batch.HostId);
        if (known is not null && !known.Metrics.Advance(batch.AgentRunId, batch.Sequence))
        {
            DuplicateBatches++;
            return false;
        }

        var now = Now;
        var seenAt = replaying ? Min(DateTimeOffset.FromUnixTimeMilliseconds(batch.TimestampUnixMs), now) : now;
        var host = replaying ? Known(batch.HostId, seenAt) : Seen(batch.HostId, now);
        if (known is null)
        {
            host.Metrics.Advance(batch.AgentRunId, batch.Sequence);
        }
        if (host.TableGeneration != _descriptorGeneration)
        {
            host.Table.Clear();
            host.TableGeneration = _descriptorGeneration;
        }

        for (var s = 0; s < samples.Length; s++)
        {
            ref readonly var sample = ref samples[s];
            var descriptor = sample.Series;
            ref var watch = ref RulesOf(descriptor);
            if (!watch.Watched)
            {
                continue;
            }

            var series = host.Table.Find(descriptor.Id) ?? Bind(host, descriptor);
            if (seenAt > series.LastSeen)
            {
                series.LastSeen = seenAt;
            }

            if (series.RulesVersion != _rulesVersion)
            {
                Match(series, watch.Metric, watch.Absence);
            }

            var time = sample.TimestampUnixMs != 0 ? sample.TimestampUnixMs : batch.TimestampUnixMs;
            series.Add(time, sample.Value);
            if (replaying)
            {
                continue; // windows only: the alerts were decided when these samples first arrived
            }

            var rules = series.Rules;
            for (var r = 0; r < rules.Count; r++)
            {
                var rule = rules[r];
                if (rule.Rule.Kind == RuleKind.Metric)
                {
                    EvaluateMetric(rule, series, r, now);
                }
                else
                {
                    Step(rule, series.Host, series.Labels, FingerprintOf(series, r), condition: false, holding: false, 0, now);
                }
            }
        }

        if (replaying)
        {
            return true;
        }

        // The batch is the host's heartbeat: host absence alerts recover.
        HostHeartbeat(host, now);
        Flush(now);
        return true;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private bool IsOurs(SeriesDescriptor descriptor)
    {
        var known = Decoder.Series;
        return descriptor.Id < known.Count && ReferenceEquals(known[descriptor.Id], descriptor);
    }

    private void HostHeartbeat(HostState host, DateTimeOffset now)
    {
        if (_hostAbsenceRules.Count == 0 || _alerts.Count == 0)
        {
            return; // nothing to recover
        }

        foreach (var rule in _hostAbsenceRules)
        {
            if (CompiledMatcher.MatchAll(rule.Matchers, host.Labels))
            {
                Step(rule, host.Host, host.Labels, host.FingerprintOf(rule), condition: false, holding: false, 0, now);
            }
        }
    }

    /// <summary>The rules a descriptor's samples feed, for the current rules version; computed on its first sample
    /// and again after a rule change.</summary>
    private ref DescriptorRules RulesOf(SeriesDescriptor descriptor)
    {
        var id = descriptor.Id;
        if (id >= _descriptorRules.Length)
        {
            Array.Resize(ref _descriptorRules, Math.Max(id + 1, _descriptorRules.Length * 2));
        }

        ref var entry = ref _descriptorRules[id];
        if (entry.RulesVersion != _rulesVersion)
        {
            if (entry.RulesVersion == 0)
            {
                _options.SeriesSeen?.Invoke(descriptor);
            }

            _metricRules.TryGetValue(descriptor.Name, out var metric);
            _seriesAbsenceRules.TryGetValue(descriptor.Name, out var absence);
            entry = new DescriptorRules(_rulesVersion, Candidates(metric, descriptor), Candidates(absence, descriptor));
        }

        return ref entry;
    }

    /// <summary>The rules whose matchers can match the descriptor's series on some host: every matcher but those on
    /// <c>host</c> (which only a series knows) already decides on the descriptor's labels, which are the series' labels
    /// but <c>host</c>. Null when none can: the samples are not watched (no series, no window).</summary>
    private static List<CompiledRule>? Candidates(List<CompiledRule>? rules, SeriesDescriptor descriptor)
    {
        List<CompiledRule>? result = null;
        foreach (var rule in (IEnumerable<CompiledRule>?)rules ?? [])
        {
            if (CanMatch(rule.Matchers, descriptor))
            {
                (result ??= []).Add(rule);
            }
        }

        return result;
    }

    private static bool CanMatch(CompiledMatcher[] matchers, SeriesDescriptor descriptor)
    {
        foreach (var matcher in matchers)
        {
            if (string.Equals(matcher.Name, "host", StringComparison.Ordinal))
            {
                continue;
            }

            // As the series' label map has it: of repeated names, the last one.
            string? value = null;
            foreach (var (name, v) in descriptor.Labels)
            {
                if (string.Equals(name, matcher.Name, StringComparison.Ordinal))
                {
                    value = v;
                }
            }

            if (!matcher.Matches(value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Finds the host's series of a descriptor met for the first time in this generation: the one kept from
    /// an earlier generation, or a new one.</summary>
    private Series Bind(HostState host, SeriesDescriptor descriptor)
    {
        _key.Clear();
        _key.Append(host.Host).Append('\u001f').Append(descriptor.Key);
        var key = _key.ToString();
        if (!_series.TryGetValue(key, out var series))
        {
            var labels = new Dictionary<string, string>(descriptor.Labels.Count + 1, StringComparer.Ordinal);
            foreach (var (name, value) in descriptor.Labels)
            {
                labels[name] = value;
            }

            labels["host"] = host.Host;
            series = new Series(key, host.Host, descriptor.Name, labels);
            _series[key] = series;
        }

        series.DescriptorId = descriptor.Id;
        series.DescriptorGeneration = _descriptorGeneration;
        host.Table.Add(descriptor.Id, series);
        return series;
    }

    private void Match(Series series, List<CompiledRule>? rules, List<CompiledRule>? absenceRules)
    {
        series.Rules.Clear();
        series.RetainMs = 0;
        foreach (var rule in (IEnumerable<CompiledRule>?)rules ?? [])
        {
            if (CompiledMatcher.MatchAll(rule.Matchers, series.Labels))
            {
                series.Rules.Add(rule);
                series.RetainMs = Math.Max(series.RetainMs, rule.WindowMs);
            }
        }

        series.AbsenceAfter = TimeSpan.Zero;
        foreach (var rule in (IEnumerable<CompiledRule>?)absenceRules ?? [])
        {
            if (CompiledMatcher.MatchAll(rule.Matchers, series.Labels))
            {
                series.Rules.Add(rule);
                if (rule.After > series.AbsenceAfter)
                {
                    series.AbsenceAfter = rule.After;
                }
            }
        }

        series.Fingerprints.Clear();
        foreach (var _ in series.Rules)
        {
            series.Fingerprints.Add(null);
        }

        series.RulesVersion = _rulesVersion;
    }

    /// <summary>The fingerprint of the alert of the series' <paramref name="index"/>-th rule.</summary>
    private static string FingerprintOf(Series series, int index) =>
        series.Fingerprints[index] ??= AlertFingerprint.Compute(series.Rules[index].Id, AlertLabels(series.Rules[index], series.Labels));

    private static Dictionary<string, string> AlertLabels(CompiledRule rule, IReadOnlyDictionary<string, string> labels)
    {
        var result = new Dictionary<string, string>(labels, StringComparer.Ordinal);
        foreach (var (name, value) in rule.Rule.Labels)
        {
            result[name] = value;
        }

        result["alertname"] = rule.Rule.Name;
        return result;
    }

    private void EvaluateMetric(CompiledRule rule, Series series, int index, DateTimeOffset now)
    {
        var metric = rule.Rule.Metric!;
        var value = Aggregate(series, metric, rule.WindowMs);
        if (double.IsNaN(value))
        {
            return;
        }

        var condition = CompiledRule.Compare(value, metric.Comparison, metric.Threshold);
        var holding = metric.RecoveryThreshold is { } recovery
            ? CompiledRule.Compare(value, metric.Comparison, recovery)
            : condition;
        Step(rule, series.Host, series.Labels, FingerprintOf(series, index), condition, holding, value, now);
    }

    /// <summary>Reduces the samples within the window (ending at the newest sample) to one value; NaN when there is
    /// not enough data (rate needs two samples).</summary>
    internal static double Aggregate(Series series, MetricCondition metric, long windowMs) =>
        WindowAggregation.Aggregate(new SeriesSamples(series), metric, windowMs);

    /// <summary>A series seen as samples, without copying them (a struct: the aggregation is specialised for it).</summary>
    private readonly struct SeriesSamples(Series series) : WindowAggregation.ISamples
    {
        public int Count => series.Count;

        public long TimeAt(int index) => series.TimeAt(index);

        public double ValueAt(int index) => series.ValueAt(index);
    }

    // ---- logs ----

    /// <summary>Takes one host's log batch: matching lines are counted per rule and host. A repeat of a log batch already
    /// applied is dropped whole (its lines are not counted twice): returns false.</summary>
    public bool Ingest(LogBatch batch) => Apply(batch, replaying: false);

    /// <summary>Log lines read back from before where evaluation resumes: counted into the hosts' log windows, no
    /// alert stepped (a firing log rule does not resolve for an empty window after the hand-over). Its position is
    /// remembered like a live batch's.</summary>
    public bool Replay(LogBatch batch) => Apply(batch, replaying: true);

    private bool Apply(LogBatch batch, bool replaying)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var known = _hosts.GetValueOrDefault(batch.HostId);
        if (known is not null && !known.Logs.Advance(batch.AgentRunId, batch.Sequence))
        {
            DuplicateBatches++;
            return false;
        }

        var now = Now;
        var host = replaying ? Known(batch.HostId, Min(DateTimeOffset.FromUnixTimeMilliseconds(batch.TimestampUnixMs), now)) : Seen(batch.HostId, now);
        if (known is null)
        {
            host.Logs.Advance(batch.AgentRunId, batch.Sequence);
        }
        if (_logRules.Count > 0)
        {
            Dictionary<string, string>? labels = null;
            foreach (var record in batch.Records)
            {
                foreach (var rule in _logRules)
                {
                    if (rule.Matchers.Length > 0)
                    {
                        labels ??= new Dictionary<string, string>(StringComparer.Ordinal);
                        labels.Clear();
                        foreach (var l in record.Labels)
                        {
                            labels[l.Name] = l.Value;
                        }

                        labels["source"] = record.Source;
                        labels["host"] = batch.HostId;
                        if (!CompiledMatcher.MatchAll(rule.Matchers, labels))
                        {
                            continue;
                        }
                    }

                    if (rule.MatchesLine(record.Message))
                    {
                        host.Hit(rule.Id, record.TimestampUnixMs != 0 ? record.TimestampUnixMs : batch.TimestampUnixMs);
                    }
                }
            }

            if (replaying)
            {
                return true;
            }

            foreach (var rule in _logRules)
            {
                EvaluateLog(rule, host, now);
            }
        }

        if (replaying)
        {
            return true;
        }

        HostHeartbeat(host, now);
        Flush(now);
        return true;
    }

    private void EvaluateLog(CompiledRule rule, HostState host, DateTimeOffset now)
    {
        var count = host.CountHits(rule.Id, now.ToUnixTimeMilliseconds() - rule.WindowMs);
        var condition = count >= rule.Rule.Log!.MinCount;
        if (!condition && !_alerts.ContainsKey(host.FingerprintOf(rule)))
        {
            return;
        }

        Step(rule, host.Host, host.Labels, host.FingerprintOf(rule), condition, condition, count, now);
    }

    // ---- hosts, ownership ----

    private HostState Seen(string hostId, DateTimeOffset now)
    {
        if (!_hosts.TryGetValue(hostId, out var host))
        {
            host = new HostState(hostId);
            _hosts[hostId] = host;
            AdoptDormant(hostId, now);
        }

        host.LastSeen = now;
        return host;
    }

    /// <summary>Learns that a host exists and when it last sent (at most now), without evaluating its data: hosts read
    /// back from just before the group's committed offsets, so that a host already silent at a restart or hand-over is
    /// still noticed.</summary>
    private HostState Known(string hostId, DateTimeOffset lastSeen)
    {
        var now = Now;
        if (lastSeen > now)
        {
            lastSeen = now;
        }

        if (!_hosts.TryGetValue(hostId, out var host))
        {
            host = new HostState(hostId) { LastSeen = lastSeen };
            _hosts[hostId] = host;
            AdoptDormant(hostId, now);
        }
        else if (lastSeen > host.LastSeen)
        {
            host.LastSeen = lastSeen;
        }

        return host;
    }

    /// <summary>Takes over, at once, the pending and firing alerts recorded for hosts of partitions just assigned here
    /// (records carry their host's partition), even of hosts that send nothing any more: their repeats and escalation go
    /// on, and a host-absence alert keeps its host known as silent since before the alert began.</summary>
    public void AdoptPartitions(Func<int, bool> assigned, DateTimeOffset silentSince)
    {
        ArgumentNullException.ThrowIfNull(assigned);
        var now = Now;
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _dormant.Values)
        {
            if (record.Partition is { } p && assigned(p) && record.Labels.TryGetValue("host", out var host) && !_hosts.ContainsKey(host))
            {
                hosts.Add(host);
            }
        }

        foreach (var host in hosts)
        {
            // Known since the earliest moment its alerts say it was last heard of: an absence alert holds, and the
            // host's next batch (if it comes back) resolves it.
            var lastSeen = silentSince;
            foreach (var record in _dormant.Values)
            {
                if (record.Labels.TryGetValue("host", out var h) && h == host && _rules.TryGetValue(record.RuleId, out var rule)
                    && rule.Rule.Kind == RuleKind.Absence && rule.Rule.Absence!.MetricName is null && record.ActiveSince is { } since)
                {
                    var quietSince = since - rule.After;
                    if (quietSince < lastSeen)
                    {
                        lastSeen = quietSince;
                    }
                }
            }

            Known(host, lastSeen);
        }
    }

    /// <summary>Remembers an alert's latest record from the <c>alerts</c> topic: when this instance takes over the
    /// alert's host it continues from that state instead of starting anew. An acknowledgement recorded by anybody is
    /// applied to the live alert.</summary>
    public void Observe(AlertTransition record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_alerts.TryGetValue(record.Fingerprint, out var live))
        {
            if (record.Event == AlertEvent.Acknowledged && record.AcknowledgedAt is not null && !live.IsAcknowledged)
            {
                live.AcknowledgedAt = record.AcknowledgedAt;
                live.AcknowledgedBy = record.AcknowledgedBy;
                live.AcknowledgeComment = record.AcknowledgeComment;
            }

            return;
        }

        if (_finished.TryGetValue(record.Fingerprint, out var finishedAt) && record.At <= finishedAt)
        {
            return; // older than this instance's own end of that alert (a late record of the previous owner)
        }

        if (record.State is AlertState.Pending or AlertState.Firing)
        {
            _dormant[record.Fingerprint] = record;
            if (record.Labels.TryGetValue("host", out var host) && _hosts.ContainsKey(host))
            {
                AdoptDormant(host, Now);
            }
        }
        else
        {
            _dormant.Remove(record.Fingerprint);
        }
    }

    private void AdoptDormant(string hostId, DateTimeOffset now)
    {
        if (_dormant.Count == 0)
        {
            return;
        }

        List<string>? adopted = null;
        foreach (var (fp, record) in _dormant)
        {
            if (!record.Labels.TryGetValue("host", out var h) || h != hostId)
            {
                continue;
            }

            (adopted ??= []).Add(fp);
            if (_rules.TryGetValue(record.RuleId, out var rule))
            {
                var alert = AlertInstance.FromRecord(record, rule);
                alert.LastEvaluatedAt = now;
                _alerts[fp] = alert;
            }
        }

        foreach (var fp in adopted ?? [])
        {
            _dormant.Remove(fp);
        }
    }

    /// <summary>Forgets a host this instance no longer owns (its partition went to another instance); its live alerts
    /// become dormant so that they are taken up again if the host comes back here.</summary>
    public void DropHost(string hostId)
    {
        _hosts.Remove(hostId);
        _scratch.Clear();
        foreach (var alert in _alerts.Values)
        {
            if (alert.Host == hostId)
            {
                _scratch.Add(alert);
            }
        }

        foreach (var alert in _scratch)
        {
            _alerts.Remove(alert.Fingerprint);
            _dormant[alert.Fingerprint] = alert.ToRecord(AlertEvent.Transition, alert.State, Now, _options.Instance);
        }

        var keys = _series.Where(s => s.Value.Host == hostId).Select(s => s.Key).ToList();
        foreach (var key in keys)
        {
            RemoveSeries(key);
        }
    }

    private void RemoveSeries(string key)
    {
        if (_series.Remove(key, out var series) && _hosts.TryGetValue(series.Host, out var host)
            && host.TableGeneration == series.DescriptorGeneration)
        {
            host.Table.Remove(series.DescriptorId, series);
        }
    }

    // ---- lifecycle ----

    private void Step(CompiledRule rule, string host, IReadOnlyDictionary<string, string> labels, string fingerprint,
        bool condition, bool holding, double value, DateTimeOffset now)
    {
        if (!_alerts.TryGetValue(fingerprint, out var alert))
        {
            if (!condition)
            {
                return;
            }

            alert = new AlertInstance
            {
                Fingerprint = fingerprint,
                Rule = rule,
                Host = host,
                Labels = AlertLabels(rule, labels),
                State = AlertState.Inactive,
            };
            _alerts[fingerprint] = alert;
        }

        alert.Value = value;
        alert.LastEvaluatedAt = now;
        switch (alert.State)
        {
            case AlertState.Inactive or AlertState.Resolved:
                alert.ActiveSince = now;
                alert.FiredAt = null;
                alert.ResolvedAt = null;
                alert.AcknowledgedAt = null;
                alert.AcknowledgedBy = null;
                alert.AcknowledgeComment = null;
                alert.NotificationCount = 0;
                alert.LastNotifiedAt = null;
                alert.EscalatedAt = null;
                if (rule.For <= TimeSpan.Zero)
                {
                    Fire(alert, AlertState.Inactive, now);
                }
                else
                {
                    Transition(alert, AlertState.Pending, AlertState.Inactive, now);
                }

                break;
            case AlertState.Pending when !condition:
                Transition(alert, AlertState.Inactive, AlertState.Pending, now);
                _alerts.Remove(fingerprint);
                _finished[fingerprint] = now;
                break;
            case AlertState.Pending when now - alert.ActiveSince >= rule.For:
                Fire(alert, AlertState.Pending, now);
                break;
            case AlertState.Firing when !holding:
                Resolve(alert, now);
                break;
            default:
                break;
        }
    }

    private void Transition(AlertInstance alert, AlertState state, AlertState previous, DateTimeOffset now)
    {
        alert.State = state;
        alert.Annotations = Render(alert);
        Records.Add(alert.ToRecord(AlertEvent.Transition, previous, now, _options.Instance));
    }

    private void Fire(AlertInstance alert, AlertState previous, DateTimeOffset now)
    {
        alert.State = AlertState.Firing;
        alert.FiredAt = now;
        alert.Annotations = Render(alert);
        if (!IsSilenced(alert, now))
        {
            Enqueue(alert, NotificationReason.Firing, now);
        }

        Records.Add(alert.ToRecord(AlertEvent.Transition, previous, now, _options.Instance));
    }

    private void Resolve(AlertInstance alert, DateTimeOffset now)
    {
        alert.State = AlertState.Resolved;
        alert.ResolvedAt = now;
        alert.Annotations = Render(alert);
        if (alert.AwaitingGroup)
        {
            Withdraw(alert);
        }
        else if (alert.NotificationCount > 0 && !IsSilenced(alert, now))
        {
            Enqueue(alert, NotificationReason.Resolved, now);
        }

        Records.Add(alert.ToRecord(AlertEvent.Transition, AlertState.Firing, now, _options.Instance));
        _alerts.Remove(alert.Fingerprint);
        _finished[alert.Fingerprint] = now;
    }

    private static Dictionary<string, string> Render(AlertInstance alert)
    {
        var rule = alert.Rule.Rule;
        var result = new Dictionary<string, string>(rule.Annotations.Count + 4, StringComparer.Ordinal);
        foreach (var (name, template) in rule.Annotations)
        {
            result[name] = AnnotationTemplates.Render(template, rule, alert.Labels, alert.Value, alert.State);
        }

        if (rule.Log is { } log)
        {
            LogRuleAnnotations.AddTo(result, log);
        }

        return result;
    }

    /// <summary>Acknowledges a live alert owned here: no repeats, no escalation. Returns false when unknown.</summary>
    public bool Acknowledge(string fingerprint, string by, string? comment)
    {
        if (!_alerts.TryGetValue(fingerprint, out var alert) || alert.State != AlertState.Firing)
        {
            return false;
        }

        var now = Now;
        alert.AcknowledgedAt = now;
        alert.AcknowledgedBy = by;
        alert.AcknowledgeComment = comment;
        Records.Add(alert.ToRecord(AlertEvent.Acknowledged, alert.State, now, _options.Instance));
        return true;
    }

    // ---- clock ----

    /// <summary>Evaluates what depends on time alone: pending alerts whose <c>for</c> elapsed, silent hosts and series,
    /// log windows sliding, stale series, repeats, escalation, silences that ended and group waits.</summary>
    public void Tick()
    {
        var now = Now;
        foreach (var host in _hosts.Values)
        {
            foreach (var rule in _hostAbsenceRules)
            {
                if (!CompiledMatcher.MatchAll(rule.Matchers, host.Labels))
                {
                    continue;
                }

                var silent = (now - host.LastSeen).TotalSeconds;
                var condition = now - host.LastSeen >= rule.After;
                Step(rule, host.Host, host.Labels, host.FingerprintOf(rule), condition, condition, silent, now);
            }

            foreach (var rule in _logRules)
            {
                EvaluateLog(rule, host, now);
            }
        }

        _scratch.Clear();
        foreach (var series in _series.Values)
        {
            // A series watched by an absence rule is kept past its After (else a rule of After >= StaleAfter never fires).
            if (now - series.LastSeen > _options.StaleAfter + series.AbsenceAfter)
            {
                _staleKeys.Add(series.Key);
                continue;
            }

            for (var r = 0; r < series.Rules.Count; r++)
            {
                var rule = series.Rules[r];
                if (rule.Rule.Kind == RuleKind.Absence)
                {
                    var silent = (now - series.LastSeen).TotalSeconds;
                    var condition = now - series.LastSeen >= rule.After;
                    Step(rule, series.Host, series.Labels, FingerprintOf(series, r), condition, condition, silent, now);
                }
            }
        }

        foreach (var key in _staleKeys)
        {
            RemoveSeries(key);
        }

        _staleKeys.Clear();

        _scratch.Clear();
        _scratch.AddRange(_alerts.Values);
        foreach (var alert in _scratch)
        {
            if (alert.State == AlertState.Pending && alert.ActiveSince is { } since && now - since >= alert.Rule.For)
            {
                Fire(alert, AlertState.Pending, now);
            }
            else if (alert.Rule.Rule.Kind == RuleKind.Metric && now - alert.LastEvaluatedAt > _options.StaleAfter)
            {
                // The series went away: a firing alert resolves, a pending one is dropped.
                if (alert.State == AlertState.Firing)
                {
                    Resolve(alert, now);
                }
                else
                {
                    Transition(alert, AlertState.Inactive, alert.State, now);
                    _alerts.Remove(alert.Fingerprint);
                    _finished[alert.Fingerprint] = now;
                }
            }
            else if (alert.State == AlertState.Firing)
            {
                FollowUp(alert, now);
            }
        }

        if (_finished.Count > 10_000)
        {
            foreach (var fp in _finished.Where(f => now - f.Value > TimeSpan.FromHours(1)).Select(f => f.Key).ToList())
            {
                _finished.Remove(fp);
            }
        }

        Flush(now);
    }

    /// <summary>Repeat, late first notification (a silence ended) and escalation of a firing alert.</summary>
    private void FollowUp(AlertInstance alert, DateTimeOffset now)
    {
        if (alert.IsAcknowledged || IsSilenced(alert, now))
        {
            return;
        }

        var rule = alert.Rule.Rule;
        if (alert.NotificationCount == 0)
        {
            if (!alert.AwaitingGroup)
            {
                Enqueue(alert, NotificationReason.Firing, now);
                if (!alert.AwaitingGroup)
                {
                    Records.Add(alert.ToRecord(AlertEvent.Notified, alert.State, now, _options.Instance));
                }
            }
        }
        else
        {
            var repeat = rule.RepeatIntervalSeconds is { } s ? TimeSpan.FromSeconds(s) : _options.RepeatInterval;
            if (repeat > TimeSpan.Zero && alert.LastNotifiedAt is { } last && now - last >= repeat)
            {
                Enqueue(alert, NotificationReason.Repeat, now);
                Records.Add(alert.ToRecord(AlertEvent.Notified, alert.State, now, _options.Instance));
            }
        }

        if (rule.Escalation is { } escalation && alert.EscalatedAt is null && alert.FiredAt is { } fired
            && now - fired >= TimeSpan.FromSeconds(escalation.AfterSeconds))
        {
            alert.EscalatedAt = now;
            Enqueue(alert, NotificationReason.Escalation, now);
            Records.Add(alert.ToRecord(AlertEvent.Escalated, alert.State, now, _options.Instance));
        }
    }

    private sealed class HostState(string host)
    {
        private readonly Dictionary<string, LogHits> _hits = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _fingerprints = new(StringComparer.Ordinal);

        public string Host { get; } = host;

        public Dictionary<string, string> Labels { get; } = new(StringComparer.Ordinal) { ["host"] = host };

        public DateTimeOffset LastSeen { get; set; }

        /// <summary>This host's watched series by descriptor id, for <see cref="TableGeneration"/>.</summary>
        public SeriesTable Table { get; } = new();

        public int TableGeneration { get; set; } = -1;

        /// <summary>The last metric batch applied (a field: advanced in place).</summary>
        public DeliveryPosition Metrics;

        /// <summary>The last log batch applied (a field: advanced in place).</summary>
        public DeliveryPosition Logs;

        public string FingerprintOf(CompiledRule rule)
        {
            if (!_fingerprints.TryGetValue(rule.Id, out var fp))
            {
                fp = AlertFingerprint.Compute(rule.Id, AlertLabels(rule, Labels));
                _fingerprints[rule.Id] = fp;
            }

            return fp;
        }

        public void ClearFingerprints() => _fingerprints.Clear();

        public void Hit(string ruleId, long timeMs)
        {
            if (!_hits.TryGetValue(ruleId, out var hits))
            {
                _hits[ruleId] = hits = new LogHits();
            }

            hits.Add(timeMs);
        }

        public int CountHits(string ruleId, long sinceMs) => _hits.TryGetValue(ruleId, out var hits) ? hits.CountSince(sinceMs) : 0;
    }

    /// <summary>The times of one log rule's matching lines of one host, oldest first as they arrived.</summary>
    private sealed class LogHits
    {
        private readonly Queue<long> _times = new();
        private long _last;
        private bool _unordered; // a line older than the one before it arrived (a replay): the queue is not sorted

        public void Add(long timeMs)
        {
            _unordered |= _times.Count > 0 && timeMs < _last;
            _last = timeMs;
            _times.Enqueue(timeMs);
        }

        public int CountSince(long sinceMs)
        {
            while (_times.Count > 0 && _times.Peek() < sinceMs)
            {
                _times.Dequeue();
            }

            if (_times.Count == 0)
            {
                _unordered = false;
            }

            if (!_unordered)
            {
                return _times.Count; // sorted: everything left is inside the window
            }

            // Lines replayed out of order can sit behind a newer head: count only those inside the window.
            var count = 0;
            foreach (var time in _times)
            {
                if (time >= sinceMs)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>What the samples of one descriptor feed, as of <see cref="RulesVersion"/> (0: never looked at).</summary>
    private readonly record struct DescriptorRules(int RulesVersion, List<CompiledRule>? Metric, List<CompiledRule>? Absence)
    {
        public bool Watched => Metric is not null || Absence is not null;
    }
}
