using System.Globalization;
using System.Text;
using Platform.Alerting.Notifications;
using Platform.Alerting.Rules;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Evaluation;

/// <summary>The notification side: silences and maintenance windows, channels, grouping.</summary>
internal sealed partial class AlertEngine
{
    private readonly Dictionary<string, (Silence Silence, CompiledMatcher[] Matchers)> _silences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NotificationChannel> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingGroup> _groups = new(StringComparer.Ordinal);
    private readonly List<string> _due = [];
    private long _notificationSequence;

    public void UpsertSilence(Silence silence)
    {
        ArgumentNullException.ThrowIfNull(silence);
        _silences[silence.Id] = (silence, CompiledMatcher.CompileAll(silence.Matchers));
    }

    public void RemoveSilence(string id) => _silences.Remove(id);

    public void UpsertChannel(NotificationChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channels[channel.Id] = channel;
    }

    public void RemoveChannel(string id) => _channels.Remove(id);

    /// <summary>True when an active silence or maintenance window matches the alert's labels.</summary>
    public bool IsSilenced(AlertInstance alert, DateTimeOffset now)
    {
        foreach (var (silence, matchers) in _silences.Values)
        {
            if (IsActive(silence, now) && CompiledMatcher.MatchAll(matchers, alert.Labels))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A one-off silence is active from StartsAt to EndsAt; a maintenance window (with a recurrence) only during
    /// its occurrences within that span.</summary>
    public static bool IsActive(Silence silence, DateTimeOffset now) => SilenceSchedule.IsActive(silence, now);

    /// <summary>The channels of a notification: the escalation channels for an escalation; the rule's channels (or
    /// the default ones) otherwise, plus the escalation channels for the resolve of an escalated alert (who was paged
    /// learns that it is over).</summary>
    private List<string> ChannelsFor(CompiledRule rule, NotificationReason reason, bool escalated = false)
    {
        var result = new List<string>();
        var severity = rule.Rule.Severity;
        if (reason == NotificationReason.Escalation && rule.Rule.Escalation is { } escalation)
        {
            foreach (var id in escalation.Channels)
            {
                if (_channels.TryGetValue(id, out var c) && c.Enabled)
                {
                    result.Add(id);
                }
            }

            return result;
        }

        if (rule.Rule.Channels.Count > 0)
        {
            foreach (var id in rule.Rule.Channels)
            {
                if (_channels.TryGetValue(id, out var c) && c.Enabled && severity >= c.MinSeverity)
                {
                    result.Add(id);
                }
            }
        }
        else
        {
            foreach (var c in _channels.Values)
            {
                if (c.IsDefault && c.Enabled && severity >= c.MinSeverity)
                {
                    result.Add(c.Id);
                }
            }
        }

        if (reason == NotificationReason.Resolved && escalated && rule.Rule.Escalation is { } paged)
        {
            foreach (var id in paged.Channels)
            {
                if (!result.Contains(id) && _channels.TryGetValue(id, out var c) && c.Enabled)
                {
                    result.Add(id);
                }
            }
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>Puts the alert into its notification group and marks it notified; the group is sent by
    /// <see cref="Flush"/> once its group wait elapsed.</summary>
    private void Enqueue(AlertInstance alert, NotificationReason reason, DateTimeOffset now)
    {
        var rule = alert.Rule;
        var key = new StringBuilder(rule.Id);
        foreach (var name in rule.Rule.GroupBy)
        {
            key.Append('|').Append(name).Append('=').Append(alert.Labels.GetValueOrDefault(name, string.Empty));
        }

        var groupKey = key.ToString();
        var slot = groupKey + "#" + (reason == NotificationReason.Escalation ? "escalation" : "notify");
        if (!_groups.TryGetValue(slot, out var group))
        {
            group = new PendingGroup(groupKey, rule, now + _options.GroupWait);
            _groups[slot] = group;
        }

        group.Add(alert, reason);
        if (reason == NotificationReason.Firing && group.Due > now)
        {
            alert.AwaitingGroup = true; // counted when the group is sent (Build)
        }
        else if (reason != NotificationReason.Escalation)
        {
            alert.LastNotifiedAt = now;
            alert.NotificationCount++;
        }
    }

    /// <summary>Takes an alert whose first notification is still waiting in its group out of it: it resolved (or went
    /// away) before anything was sent, so there is nothing to tell.</summary>
    private void Withdraw(AlertInstance alert)
    {
        alert.AwaitingGroup = false;
        _due.Clear();
        foreach (var (slot, group) in _groups)
        {
            group.Alerts.RemoveAll(a => a.Alert.Fingerprint == alert.Fingerprint);
            if (group.Alerts.Count == 0)
            {
                _due.Add(slot);
            }
        }

        foreach (var slot in _due)
        {
            _groups.Remove(slot);
        }
    }

    /// <summary>Builds every pending group now, group wait or not (alerting is stopping).</summary>
    public void FlushGroups() => Flush(Now, all: true);

    private void Flush(DateTimeOffset now, bool all = false)
    {
        if (_groups.Count == 0)
        {
            return;
        }

        _due.Clear();
        foreach (var (slot, group) in _groups)
        {
            if (all || group.Due <= now)
            {
                _due.Add(slot);
            }
        }

        foreach (var slot in _due)
        {
            var group = _groups[slot];
            _groups.Remove(slot);
            Notifications.Add(Build(group, now));
        }
    }

    private Notification Build(PendingGroup group, DateTimeOffset now)
    {
        foreach (var (alert, _) in group.Alerts)
        {
            if (alert.AwaitingGroup)
            {
                // Sent now: only now does the alert's record say so (the notification reaches the outbox first).
                alert.AwaitingGroup = false;
                alert.LastNotifiedAt = now;
                alert.NotificationCount++;
                if (_alerts.ContainsKey(alert.Fingerprint))
                {
                    Records.Add(alert.ToRecord(AlertEvent.Notified, alert.State, now, _options.Instance));
                }
            }
        }

        var rule = group.Rule.Rule;
        var alerts = group.Alerts.Select(a => new NotifiedAlert
        {
            Fingerprint = a.Alert.Fingerprint,
            State = a.Alert.State,
            Labels = a.Alert.Labels,
            Annotations = a.Alert.Annotations,
            Value = double.IsFinite(a.Alert.Value) ? a.Alert.Value : null,
            FiredAt = a.Alert.FiredAt,
            ResolvedAt = a.Alert.ResolvedAt,
            AcknowledgedBy = a.Alert.AcknowledgedBy,
        }).ToList();
        var firing = alerts.Count(a => a.State == AlertState.Firing);
        var reason = group.Alerts.Any(a => a.Reason == NotificationReason.Escalation) ? NotificationReason.Escalation
            : group.Alerts.Any(a => a.Reason == NotificationReason.Firing) ? NotificationReason.Firing
            : group.Alerts.Any(a => a.Reason == NotificationReason.Repeat) ? NotificationReason.Repeat
            : NotificationReason.Resolved;
        var hosts = string.Join(", ", alerts.Select(a => a.Labels.GetValueOrDefault("host", "?")).Distinct(StringComparer.Ordinal).Take(5));
        var status = firing > 0 ? "firing" : "resolved";
        var title = string.Create(CultureInfo.InvariantCulture,
            $"[{(reason == NotificationReason.Escalation ? "ESCALATED" : status.ToUpperInvariant())}{(firing > 0 ? ":" + firing.ToString(CultureInfo.InvariantCulture) : string.Empty)}] {rule.Name} ({hosts})");
        var text = new StringBuilder();
        foreach (var a in alerts)
        {
            var summary = a.Annotations.GetValueOrDefault("summary") ?? $"{rule.Name} on {a.Labels.GetValueOrDefault("host", "?")}";
            text.Append(a.State == AlertState.Firing ? "FIRING " : "RESOLVED ").Append(summary);
            if (a.Annotations.TryGetValue("description", out var description))
            {
                text.Append(" — ").Append(description);
            }

            text.Append('\n');
        }

        return new Notification
        {
            Id = string.Create(CultureInfo.InvariantCulture, $"{_options.Instance}-{now.ToUnixTimeMilliseconds()}-{++_notificationSequence}"),
            GroupKey = group.Key,
            RuleId = rule.Id,
            RuleName = rule.Name,
            Severity = rule.Severity,
            Status = status,
            Reason = reason,
            At = now,
            Channels = ChannelsFor(group.Rule, reason, group.Alerts.Any(a => a.Alert.EscalatedAt is not null)),
            Alerts = alerts,
            Title = title,
            Text = text.ToString().TrimEnd(),
        };
    }

    private sealed class PendingGroup(string key, CompiledRule rule, DateTimeOffset due)
    {
        public string Key { get; } = key;

        public CompiledRule Rule { get; } = rule;

        public DateTimeOffset Due { get; } = due;

        public List<(AlertInstance Alert, NotificationReason Reason)> Alerts { get; } = [];

        public void Add(AlertInstance alert, NotificationReason reason)
        {
            var i = Alerts.FindIndex(a => a.Alert.Fingerprint == alert.Fingerprint);
            if (i >= 0)
            {
                Alerts[i] = (alert, reason);
            }
            else
            {
                Alerts.Add((alert, reason));
            }
        }
    }
}
