using System.Collections.Concurrent;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Services;

/// <summary>
/// The alert rules and the current state of every alert, as read from the <c>alert-rules</c> and
/// <c>alerts</c> topics (newest record per key wins; a tombstone deletes a rule). The firing alerts are also indexed
/// by host, so a host's health costs the host's firing alerts rather than every alert ever seen, and resolved (or
/// inactive) alerts leave the table after <see cref="DashboardOptions.ResolvedRetention"/> (their records stay on the topic).
/// </summary>
public sealed class AlertBook
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, AlertRule> _rules = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AlertTransition> _alerts = new(StringComparer.Ordinal);
    private readonly Queue<AlertTransition> _history = new();
    private readonly Lock _index = new();
    private readonly Dictionary<string, Dictionary<string, AlertSeverity>> _firingByHost = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _firingHostOf = new(StringComparer.Ordinal);
    private readonly TimeSpan _resolvedRetention;
    private readonly TimeProvider _time;
    private DateTimeOffset _prunedAt;
    private long _version;

    public AlertBook()
        : this(new DashboardOptions(), TimeProvider.System)
    {
    }

    public AlertBook(DashboardOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _resolvedRetention = options.ResolvedRetention;
        _time = time;
        _prunedAt = time.GetUtcNow();
    }

    /// <summary>How many transitions the history keeps (the newest).</summary>
    public const int HistoryCapacity = 2000;

    /// <summary>Raised (on the consumer's thread) for each alert that turns firing.</summary>
    public event Action<AlertTransition>? Fired;

    /// <summary>Grows with every change.</summary>
    public long Version => Interlocked.Read(ref _version);

    public IReadOnlyCollection<AlertRule> Rules => (IReadOnlyCollection<AlertRule>)_rules.Values;

    public bool HasRules => !_rules.IsEmpty;

    public void ApplyRule(string ruleId, AlertRule? rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(ruleId);
        if (rule is null)
        {
            _rules.TryRemove(ruleId, out _);
        }
        else
        {
            _rules[ruleId] = rule;
        }

        Interlocked.Increment(ref _version);
    }

    /// <summary>
    /// Applies a rule as the alerting API answered a save (stamped with <see cref="AlertRule.UpdatedAt"/>), so the page
    /// shows it before the record arrives on <c>alert-rules</c>; a record already read that is as new or newer is kept.
    /// </summary>
    /// <returns>Whether the rule was applied.</returns>
    public bool ApplySavedRule(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var applied = false;
        _rules.AddOrUpdate(
            rule.Id,
            _ =>
            {
                applied = true;
                return rule;
            },
            (_, old) =>
            {
                applied = old.UpdatedAt is null || (rule.UpdatedAt is { } at && at > old.UpdatedAt);
                return applied ? rule : old;
            });
        if (applied)
        {
            Interlocked.Increment(ref _version);
        }

        return applied;
    }

    public void ApplyAlert(AlertTransition alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var turnsFiring = alert is { State: AlertState.Firing, Event: AlertEvent.Transition }
            && !(_alerts.TryGetValue(alert.Fingerprint, out var previous) && previous.State == AlertState.Firing);
        lock (_index)
        {
            var current = _alerts.AddOrUpdate(alert.Fingerprint, alert, (_, old) => alert.At >= old.At ? alert : old);
            Index(current);
            PruneResolved();
        }

        lock (_history)
        {
            _history.Enqueue(alert);
            if (_history.Count > HistoryCapacity)
            {
                _history.Dequeue();
            }
        }

        Interlocked.Increment(ref _version);
        if (turnsFiring)
        {
            Fired?.Invoke(alert);
        }
    }

    /// <summary>The pending and firing alerts, of one host when <paramref name="hostId"/> is set, worst and newest first.</summary>
    public IReadOnlyList<AlertTransition> Active(string? hostId = null) =>
        _alerts.Values
            .Where(a => a.State is AlertState.Firing or AlertState.Pending && a.Event != AlertEvent.Removed)
            .Where(a => hostId is null || (a.Labels.TryGetValue("host", out var h) && h == hostId))
            .OrderByDescending(a => a.State == AlertState.Firing)
            .ThenByDescending(a => a.Severity)
            .ThenByDescending(a => a.FiredAt ?? a.ActiveSince ?? a.At)
            .ToList();

    /// <summary>The number of firing alerts.</summary>
    public int FiringCount
    {
        get
        {
            lock (_index)
            {
                return _firingHostOf.Count;
            }
        }
    }

    /// <summary>How many alerts the table holds (active, and resolved within the retention).</summary>
    public int Count => _alerts.Count;

    private static bool IsFiring(AlertTransition alert) => alert.State == AlertState.Firing && alert.Event != AlertEvent.Removed;

    /// <summary>Moves one alert's entry in the per-host index of firing alerts to match its latest record (under the lock).</summary>
    private void Index(AlertTransition current)
    {
        if (_firingHostOf.Remove(current.Fingerprint, out var oldHost) && oldHost is not null
            && _firingByHost.TryGetValue(oldHost, out var oldSet))
        {
            oldSet.Remove(current.Fingerprint);
            if (oldSet.Count == 0)
            {
                _firingByHost.Remove(oldHost);
            }
        }

        if (!IsFiring(current))
        {
            return;
        }

        var host = current.Labels.GetValueOrDefault("host");
        _firingHostOf[current.Fingerprint] = host;
        if (host is not null)
        {
            if (!_firingByHost.TryGetValue(host, out var set))
            {
                set = new Dictionary<string, AlertSeverity>(StringComparer.Ordinal);
                _firingByHost[host] = set;
            }

            set[current.Fingerprint] = current.Severity;
        }
    }

    /// <summary>
    /// Once a minute, drops the alerts that are neither pending nor firing (resolved, removed, or inactive: a pending
    /// alert that cleared before its rule's <c>for</c>) since longer than the retention (under the lock).
    /// </summary>
    private void PruneResolved()
    {
        var now = _time.GetUtcNow();
        if (now - _prunedAt < PruneEvery)
        {
            return;
        }

        _prunedAt = now;
        var before = now - _resolvedRetention;
        foreach (var (fingerprint, alert) in _alerts)
        {
            if ((alert.State is not (AlertState.Pending or AlertState.Firing) || alert.Event == AlertEvent.Removed) && alert.At < before)
            {
                _alerts.TryRemove(new KeyValuePair<string, AlertTransition>(fingerprint, alert));
            }
        }
    }

    /// <summary>The latest record of one alert, or null.</summary>
    public AlertTransition? Find(string fingerprint) => _alerts.GetValueOrDefault(fingerprint);

    /// <summary>Every record read from <c>alerts</c> (the newest <see cref="HistoryCapacity"/>), newest first.</summary>
    public IReadOnlyList<AlertTransition> History()
    {
        lock (_history)
        {
            return _history.Reverse().ToList();
        }
    }

    /// <summary>The worst severity among the firing alerts of a host, or null when none fires (from the per-host index).</summary>
    public AlertSeverity? WorstFiring(string hostId)
    {
        lock (_index)
        {
            if (!_firingByHost.TryGetValue(hostId, out var set))
            {
                return null;
            }

            AlertSeverity? worst = null;
            foreach (var severity in set.Values)
            {
                if (worst is null || severity > worst)
                {
                    worst = severity;
                }
            }

            return worst;
        }
    }

    /// <summary>
    /// The thresholds of the enabled metric rules on <paramref name="metricName"/> that apply to the host
    /// (rules whose host matchers, if any, accept it).
    /// </summary>
    public IReadOnlyList<Threshold> ThresholdsFor(string metricName, string hostId)
    {
        var result = new List<Threshold>();
        foreach (var rule in _rules.Values)
        {
            if (rule is { Enabled: true, Kind: RuleKind.Metric, Metric: { } metric } && metric.Name == metricName
                && metric.Aggregation != Aggregation.Rate && HostMatches(metric.Matchers, hostId))
            {
                result.Add(new Threshold(rule.Name, rule.Severity, metric.Threshold, metric.RecoveryThreshold));
            }
        }

        return result.OrderBy(t => t.Value).ToList();
    }

    private static bool HostMatches(IReadOnlyList<LabelMatcher> matchers, string hostId)
    {
        foreach (var matcher in matchers)
        {
            if (matcher.Name != "host")
            {
                continue;
            }

            var ok = matcher.Op switch
            {
                MatchOperator.Equal => matcher.Value == hostId,
                MatchOperator.NotEqual => matcher.Value != hostId,
                MatchOperator.Regex => SafeRegex(matcher.Value, hostId),
                MatchOperator.NotRegex => !SafeRegex(matcher.Value, hostId),
                _ => true,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool SafeRegex(string pattern, string value)
    {
        try
        {
            return System.Text.RegularExpressions.Regex.IsMatch(value, $"^(?:{pattern})$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(50));
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
