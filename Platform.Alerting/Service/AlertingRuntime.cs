using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using Platform.Alerting.Notifications;
using Platform.Alerting.Notifications.Discord;
using Platform.Alerting.Notifications.Email;
using Platform.Alerting.Notifications.Slack;
using Platform.Alerting.Notifications.Teams;
using Platform.Alerting.Notifications.Webhook;
using Platform.Alerting.Rules;
using Platform.Telemetry;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Service;

/// <summary>
/// What the alerting service shares between its engine loop and its REST API: the contract topics read into tables,
/// the producer that writes them, the rule validator and the notification dispatcher.
/// </summary>
internal sealed partial class AlertingRuntime : IAsyncDisposable
{
    private static readonly string[] ContractTopics = [Topics.AlertRules, Topics.Alerts, Topics.Silences, AlertTopics.Channels];

    /// <summary>The contract topics keep every record: the broker does not compact, so a finite retention would delete
    /// an idle rule, channel or silence, a firing alert's state and the tombstone of a deleted default rule (which then
    /// came back at the next start). -1 means "forever" to the platform broker and to Kafka alike.</summary>
    internal static readonly IReadOnlyDictionary<string, string> ContractTopicConfig = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["retention.ms"] = "-1",
        ["retention.bytes"] = "-1",
    };
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HttpClient _http;
    private IProducer<string, byte[]>? _producer;

    public AlertingRuntime(AlertingOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        Options = options;
        LoggerFactory = loggerFactory;
        Time = time;
        _logger = loggerFactory.CreateLogger("Platform.Alerting");
        Directory.CreateDirectory(options.StateDirectory);
        Instance = options.InstanceId ?? $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..6]}";
        Catalog = new MetricCatalog();
        Validator = new RuleValidator(Catalog);
        Rules = new TopicTable<AlertRule>(options, Topics.AlertRules, b => AlertCodec.DecodeRule(b), _logger);
        Alerts = new TopicTable<AlertTransition>(options, Topics.Alerts, b => AlertCodec.DecodeAlert(b), _logger);
        Silences = new TopicTable<Silence>(options, Topics.Silences, b => AlertCodec.DecodeSilence(b), _logger);
        Channels = new TopicTable<NotificationChannel>(options, AlertTopics.Channels, b => AlertCodec.DecodeChannel(b), _logger);
        _http = new HttpClient { Timeout = options.DeliveryTimeout + TimeSpan.FromSeconds(1) };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("platform-alerting/1.0");
        Dispatcher = new NotificationDispatcher(
            [new WebhookSender(_http), new SlackSender(_http), new TeamsSender(_http), new DiscordSender(_http), new EmailSender(options.DeliveryTimeout)],
            id => Channels.Items.GetValueOrDefault(id), options, time, loggerFactory.CreateLogger("Platform.Alerting.Notifications"));
    }

    public AlertingOptions Options { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider Time { get; }

    public string Instance { get; }

    public MetricCatalog Catalog { get; }

    public RuleValidator Validator { get; }

    public TopicTable<AlertRule> Rules { get; }

    public TopicTable<AlertTransition> Alerts { get; }

    public TopicTable<Silence> Silences { get; }

    public TopicTable<NotificationChannel> Channels { get; }

    public NotificationDispatcher Dispatcher { get; }

    /// <summary>Completes when the tables are loaded and the defaults seeded; faults when start-up failed.</summary>
    public Task Ready => _ready.Task;

    private IProducer<string, byte[]> Producer => _producer ?? throw new InvalidOperationException("alerting has not started");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _producer = new ProducerBuilder<string, byte[]>(KafkaConfig.Producer(Options, Instance)).Build();
            var partitions = await EnsureTopicsAsync(cancellationToken);
            foreach (var table in new ITable[] { Rules, Alerts, Silences, Channels })
            {
                table.Start(partitions[table.Topic]);
            }

            foreach (var table in new ITable[] { Rules, Alerts, Silences, Channels })
            {
                await table.WaitCaughtUpAsync(Options.StartupTimeout, cancellationToken);
            }

            if (Options.SeedDefaultRules)
            {
                foreach (var rule in DefaultRules.All)
                {
                    if (!Rules.Items.ContainsKey(rule.Id) && !Rules.WasDeleted(rule.Id))
                    {
                        await PutRuleAsync(rule with { UpdatedAt = Time.GetUtcNow(), UpdatedBy = "defaults" }, cancellationToken);
                        LogSeeded(_logger, rule.Id);
                    }
                }
            }

            if (Options.RulesFile is { } file)
            {
                await PublishRulesFileAsync(file, cancellationToken);
            }

            Dispatcher.ReplayOutbox();
            _ready.TrySetResult();
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
    }

    /// <summary>Publishes the rules of a rules file that differ from the topic's. A rule that is invalid is skipped and
    /// one naming a metric nobody has sent yet or an unknown channel is published: each with a log line, never a failed
    /// start (the same file serves every instance, and one bad rule must not stop alerting on all the others).</summary>
    private async Task PublishRulesFileAsync(string file, CancellationToken cancellationToken)
    {
        var rules = RuleFile.Load(file);
        var published = 0;
        foreach (var rule in rules)
        {
            var errors = Validator.Validate(rule);
            var unknownMetric = errors.Remove("metric.name", out var metricErrors) | errors.Remove("absence.metricName", out var absenceErrors);
            if (errors.Count > 0)
            {
                LogFileRuleSkipped(_logger, file, rule.Id, Describe(errors));
                continue;
            }

            if (unknownMetric)
            {
                LogFileRuleUnknownMetric(_logger, file, rule.Id, string.Join(", ", (metricErrors ?? []).Concat(absenceErrors ?? [])));
            }

            if (UnknownChannels(rule) is { Count: > 0 } unknown)
            {
                LogFileRuleUnknownChannel(_logger, file, rule.Id, Describe(unknown));
            }

            if (!Rules.Items.TryGetValue(rule.Id, out var existing) || !RuleFile.SameDefinition(existing, rule))
            {
                await PutRuleAsync(rule with { UpdatedAt = Time.GetUtcNow(), UpdatedBy = "file:" + Path.GetFileName(file) }, cancellationToken);
                published++;
            }
        }

        LogRulesFile(_logger, rules.Count, file, published);

        static string Describe(Dictionary<string, string[]> errors) =>
            string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
    }

    private async Task<Dictionary<string, List<int>>> EnsureTopicsAsync(CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(KafkaConfig.Admin(Options)).Build();
        var deadline = DateTime.UtcNow + Options.StartupTimeout;
        while (true)
        {
            try
            {
                await admin.CreateTopicsAsync(
                    ContractTopics.Select(t => new TopicSpecification
                    {
                        Name = t,
                        NumPartitions = 1,
                        ReplicationFactor = 1,
                        Configs = new Dictionary<string, string>(ContractTopicConfig, StringComparer.Ordinal),
                    }),
                    new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
            }
            catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
            {
                // Some were already there (perhaps created with a finite retention by an earlier version): set it.
                await KeepForeverAsync(admin, [.. e.Results.Where(r => r.Error.Code == ErrorCode.TopicAlreadyExists).Select(r => r.Topic)]);
            }
            catch (KafkaException e) when (DateTime.UtcNow < deadline)
            {
                LogBrokerWait(_logger, Options.Bootstrap, e.Error.Reason);
                await Task.Delay(500, cancellationToken);
                continue;
            }

            await EnsureDataTopicsAsync(admin);
            var result = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            foreach (var topic in ContractTopics)
            {
                var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
                var partitions = metadata.Topics.SingleOrDefault(t => t.Topic == topic)?.Partitions.Select(p => p.PartitionId).ToList() ?? [];
                if (partitions.Count == 0)
                {
                    break;
                }

                result[topic] = partitions;
            }

            if (result.Count == ContractTopics.Length)
            {
                return result;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the contract topics did not appear on {Options.Bootstrap}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Sets the contract topics' retention to forever where they exist already. A broker without
    /// IncrementalAlterConfigs leaves them as they are, with a warning: their records may age out.</summary>
    private async Task KeepForeverAsync(IAdminClient admin, IReadOnlyList<string> topics)
    {
        if (topics.Count == 0)
        {
            return;
        }

        try
        {
            // Only those not kept forever yet (a broker without DescribeConfigs: try them all).
            var described = await admin.DescribeConfigsAsync(
                topics.Select(t => new ConfigResource { Type = ResourceType.Topic, Name = t }),
                new DescribeConfigsOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
            topics = [.. described
                .Where(d => ContractTopicConfig.Any(c => !d.Entries.TryGetValue(c.Key, out var entry) || entry.Value != c.Value))
                .Select(d => d.ConfigResource.Name)];
            if (topics.Count == 0)
            {
                return;
            }
        }
        catch (KafkaException)
        {
            // DescribeConfigsException is one too.
        }

        var changes = topics.ToDictionary(
            t => new ConfigResource { Type = ResourceType.Topic, Name = t },
            _ => ContractTopicConfig.Select(c => new ConfigEntry { Name = c.Key, Value = c.Value, IncrementalOperation = AlterConfigOpType.Set }).ToList());
        try
        {
            await admin.IncrementalAlterConfigsAsync(changes, new IncrementalAlterConfigsOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
        }
        catch (IncrementalAlterConfigsException e)
        {
            foreach (var result in e.Results.Where(r => r.Error.IsError))
            {
                LogRetentionNotSet(_logger, result.ConfigResource.Name, result.Error.Reason);
            }
        }
        catch (KafkaException e)
        {
            LogRetentionNotSet(_logger, string.Join(", ", topics), e.Error.Reason);
        }
    }

    /// <summary>Creates <c>metrics</c> and <c>logs</c> with the broker's default partition count when alerting starts
    /// before any agent (else the group would wait for them); an agent creating them first is just as good.</summary>
    private async Task EnsureDataTopicsAsync(IAdminClient admin)
    {
        try
        {
            await admin.CreateTopicsAsync(
                new[] { Topics.Metrics, Topics.Logs }.Select(t => new TopicSpecification { Name = t, NumPartitions = -1, ReplicationFactor = -1 }),
                new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Already there.
        }
        catch (KafkaException e)
        {
            LogBrokerWait(_logger, Options.Bootstrap, "metrics/logs not created: " + e.Error.Reason);
        }
    }

    // ---- writes to the contract topics ----

    public Task PutRuleAsync(AlertRule rule, CancellationToken cancellationToken) =>
        WriteAsync(Rules, rule.Id, AlertCodec.Encode(rule), cancellationToken);

    public Task DeleteRuleAsync(string id, CancellationToken cancellationToken) => WriteAsync(Rules, id, null, cancellationToken);

    public Task PutSilenceAsync(Silence silence, CancellationToken cancellationToken) =>
        WriteAsync(Silences, silence.Id, AlertCodec.Encode(silence), cancellationToken);

    public Task DeleteSilenceAsync(string id, CancellationToken cancellationToken) => WriteAsync(Silences, id, null, cancellationToken);

    public Task PutChannelAsync(NotificationChannel channel, CancellationToken cancellationToken) =>
        WriteAsync(Channels, channel.Id, AlertCodec.Encode(channel), cancellationToken);

    public Task DeleteChannelAsync(string id, CancellationToken cancellationToken) => WriteAsync(Channels, id, null, cancellationToken);

    /// <summary>The rule's channel ids (<c>channels</c>, <c>escalation.channels</c>) that name no channel of the
    /// channels table, as field-level problems: an alert sent to an unknown channel reaches nobody.</summary>
    public Dictionary<string, string[]> UnknownChannels(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Check("channels", rule.Channels);
        if (rule.Escalation is { } escalation)
        {
            Check("escalation.channels", escalation.Channels);
        }

        return errors;

        void Check(string field, IReadOnlyList<string> ids)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                if (!Channels.Items.ContainsKey(ids[i]))
                {
                    errors[$"{field}[{i}]"] = [$"unknown channel '{ids[i]}'"];
                }
            }
        }
    }

    public Task AcknowledgeAsync(AlertTransition current, string by, string? comment, CancellationToken cancellationToken)
    {
        var record = current with
        {
            Event = AlertEvent.Acknowledged,
            PreviousState = current.State,
            AcknowledgedBy = by,
            AcknowledgedAt = Time.GetUtcNow(),
            AcknowledgeComment = comment,
            At = Time.GetUtcNow(),
            Instance = Instance,
        };
        return WriteAsync(Alerts, record.Fingerprint, AlertCodec.Encode(record), cancellationToken);
    }

    /// <summary>Writes a record and waits until this instance's table has read it back (read-your-writes for the API).</summary>
    private async Task WriteAsync<T>(TopicTable<T> table, string key, byte[]? value, CancellationToken cancellationToken) where T : class
    {
        var result = await Producer.ProduceAsync(table.Topic, Message(key, value), cancellationToken);
        await table.WaitForOffsetAsync(result.Partition.Value, result.Offset.Value, TimeSpan.FromSeconds(10), cancellationToken);
    }

    /// <summary>Publishes an alert record without waiting (the engine loop must not block); failures are logged.</summary>
    public void Publish(AlertTransition record)
    {
        Producer.Produce(Topics.Alerts, Message(record.Fingerprint, AlertCodec.Encode(record)), report =>
        {
            if (report.Error.IsError)
            {
                LogPublishFailed(_logger, record.Fingerprint, report.Error.Reason);
            }
        });
    }

    public void Flush(TimeSpan timeout) => _producer?.Flush(timeout);

    private static Message<string, byte[]> Message(string key, byte[]? value) => new()
    {
        Key = key,
        Value = value!,
        Headers = value is null ? null : new Headers { { Topics.ContentTypeHeader, "application/json;v=1"u8.ToArray() } },
    };

    public async ValueTask DisposeAsync()
    {
        await Dispatcher.DisposeAsync();
        _producer?.Flush(TimeSpan.FromSeconds(5));
        _producer?.Dispose();
        Rules.Dispose();
        Alerts.Dispose();
        Silences.Dispose();
        Channels.Dispose();
        _http.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded default rule {RuleId}")]
    private static partial void LogSeeded(ILogger logger, string ruleId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} rules from {File}, {Published} new or changed")]
    private static partial void LogRulesFile(ILogger logger, int count, string file, int published);

    [LoggerMessage(Level = LogLevel.Error, Message = "{File}: rule '{RuleId}' is invalid and was not published: {Errors}")]
    private static partial void LogFileRuleSkipped(ILogger logger, string file, string ruleId, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{File}: rule '{RuleId}' names a metric outside the data contract that no agent has sent yet ({Errors}); published, it evaluates once such samples arrive")]
    private static partial void LogFileRuleUnknownMetric(ILogger logger, string file, string ruleId, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{File}: rule '{RuleId}' names channels that do not exist ({Errors}); published, its alerts reach only the channels that do")]
    private static partial void LogFileRuleUnknownChannel(ILogger logger, string file, string ruleId, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for the broker at {Bootstrap}: {Reason}")]
    private static partial void LogBrokerWait(ILogger logger, string bootstrap, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not set retention.ms=-1 on {Topics} (records older than the broker's retention may be deleted): {Reason}")]
    private static partial void LogRetentionNotSet(ILogger logger, string topics, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Publishing alert {Fingerprint} failed: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string fingerprint, string reason);
}
