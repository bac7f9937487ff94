using Platform.Alerting.Rules;
using Platform.Alerting.Tests.Evaluation;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Rules;

public sealed class RuleValidatorTests
{
    private readonly RuleValidator _validator = new(new MetricCatalog());

    [Fact]
    public void DefaultRules_AreValid()
    {
        foreach (var rule in DefaultRules.All)
        {
            Assert.Empty(_validator.Validate(rule));
        }
    }

    [Fact]
    public void Validate_ReportsBadRegex_OnTheMatcherField()
    {
        var rule = EngineFixture.CpuRule() with
        {
            Metric = EngineFixture.CpuRule().Metric! with { Matchers = [new LabelMatcher { Name = "cpu", Op = MatchOperator.Regex, Value = "([0-9" }] },
        };
        var errors = _validator.Validate(rule);
        Assert.StartsWith("bad regular expression", Assert.Single(errors["metric.matchers[0].value"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Catalog_KnowsEveryNameOfTheDataContract_AndNoInventedOnes()
    {
        var catalog = new MetricCatalog();
        var contract = typeof(Platform.Telemetry.MetricNames).GetFields()
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.All(contract, name => Assert.True(catalog.IsKnown(name), name));
        Assert.Equal(contract.Order(StringComparer.Ordinal), catalog.Names);
        foreach (var name in (string[])["system.process.count", "system.pressure.avg", "container.pids.count", "container.memory.working_set", "system.cpu.frequency"])
        {
            Assert.True(catalog.IsKnown(name), name);
        }

        Assert.False(catalog.IsKnown("system.thread.count")); // never sent by the agent
        Assert.True(MetricCatalog.IsRatio("system.paging.utilization"));
        Assert.False(MetricCatalog.IsRatio("system.paging.usage"));
    }

    [Fact]
    public void Validate_ReportsUnknownMetric_UntilItIsSeen()
    {
        var catalog = new MetricCatalog();
        var validator = new RuleValidator(catalog);
        var rule = EngineFixture.CpuRule() with { Metric = EngineFixture.CpuRule().Metric! with { Name = "app.queue.depth", Threshold = 100 } };
        Assert.Contains("unknown metric 'app.queue.depth'", Assert.Single(validator.Validate(rule)["metric.name"]), StringComparison.Ordinal);
        catalog.Observe("app.queue.depth");
        Assert.Empty(validator.Validate(rule));
    }

    [Fact]
    public void Validate_ReportsImpossibleThreshold_OnRatioMetric()
    {
        var rule = EngineFixture.CpuRule(threshold: 90);
        var message = Assert.Single(_validator.Validate(rule)["metric.threshold"]);
        Assert.Contains("impossible threshold", message, StringComparison.Ordinal);
        Assert.Contains("did you mean 0.9?", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReportsRecoveryThreshold_OnTheFiringSide()
    {
        var errors = _validator.Validate(EngineFixture.CpuRule(recovery: 0.95));
        Assert.Contains("non-firing side", Assert.Single(errors["metric.recoveryThreshold"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReportsEveryBadField_AtOnce()
    {
        var rule = new AlertRule
        {
            Id = "bad id!",
            Name = "",
            Kind = RuleKind.Log,
            Log = new LogCondition { Pattern = "(unclosed", IsRegex = true, WindowSeconds = -1, MinCount = 0 },
            ForSeconds = double.NaN,
            Annotations = new Dictionary<string, string> { ["summary"] = "{{host" },
        };
        var errors = _validator.Validate(rule);
        Assert.Equal(
            ["annotations.summary", "forSeconds", "id", "log.minCount", "log.pattern", "log.windowSeconds", "name"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_ReportsMissingCondition_ForKind()
    {
        var errors = _validator.Validate(new AlertRule { Id = "a", Name = "a", Kind = RuleKind.Absence });
        Assert.True(errors.ContainsKey("absence"));
    }

    [Fact]
    public void Validate_Silence_RejectsNoMatchersAndBadWindow()
    {
        var now = DateTimeOffset.UtcNow;
        var errors = RuleValidator.Validate(new Silence
        {
            Id = "s",
            Matchers = [],
            StartsAt = now,
            EndsAt = now.AddHours(-1),
            Recurrence = new Recurrence { StartTime = "25:00", DurationSeconds = 0, TimeZone = "Mars/Olympus" },
        });
        Assert.Equal(
            ["endsAt", "matchers", "recurrence.durationSeconds", "recurrence.startTime", "recurrence.timeZone"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_Channel_RequiresUrlOrEmailSettings()
    {
        Assert.True(RuleValidator.Validate(new NotificationChannel { Id = "w", Name = "w", Type = ChannelType.Webhook }).ContainsKey("url"));
        var email = RuleValidator.Validate(new NotificationChannel
        {
            Id = "e",
            Name = "e",
            Type = ChannelType.Email,
            Email = new EmailSettings { SmtpHost = "", From = "not an address", To = ["ops@example.com", "x"] },
        });
        Assert.Equal(["email.from", "email.smtpHost", "email.to[1]"], email.Keys.Order(StringComparer.Ordinal));
    }
}
