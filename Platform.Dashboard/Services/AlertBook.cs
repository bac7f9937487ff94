using System.Collections.Concurrent;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Services;

/// <summary>
/// The alert rules and the current state of every alert, as read from the <c>alert-rules</c> and
/// <c>alerts</c> topics (newest record per key wins; a tombstone deletes a rule).
/// </summary>
public sealed class AlertBook
{
    private readonly ConcurrentDictionary<string, AlertRule> _rules = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AlertTransition> _alerts = new(StringComparer.Ordinal);
    private readonly Queue<AlertTransition> _history = new();
    private long _version;

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

    public void ApplyAlert(AlertTransition alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var turnsFiring = alert is { State: AlertState.Firing, Event: AlertEvent.Transition }
            && !(_alerts.TryGetValue(alert.Fingerprint, out var previous) && previous.State == AlertState.Firing);
        _alerts.AddOrUpdate(alert.Fingerprint, alert, (_, old) => alert.At >= old.At ? alert : old);
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
    public int FiringCount => _alerts.Values.Count(a => a.State == AlertState.Firing && a.Event != AlertEvent.Removed);

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

    /// <summary>The worst severity among the firing alerts of a host, or null when none fires.</summary>
    public AlertSeverity? WorstFiring(string hostId)
    {
        AlertSeverity? worst = null;
        foreach (var alert in _alerts.Values)
        {
            if (alert.State == AlertState.Firing && alert.Event != AlertEvent.Removed
                && alert.Labels.TryGetValue("host", out var h) && h == hostId
                && (worst is null || alert.Severity > worst))
            {
                worst = alert.Severity;
            }
        }

        return worst;
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
