using Bunit;
using Platform.Alerting.Evaluation;
using Platform.Dashboard.Components.Pages.Alerts;
using Platform.Dashboard.Components.Pages.Rules;
using Platform.Dashboard.Services;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Components;

/// <summary>The rule form's labels, annotations and notification fields; editing maintenance windows and silences; the
/// preview's aggregated series.</summary>
public class RuleFormTests : DashboardTestContext
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    public RuleFormTests()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        Model.Options.AlertingUrl = "http://127.0.0.1:9/"; // no alerting unless a test starts one
    }

    private static string Beside<T>(IRenderedComponent<T> component, string testId)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        InputOf(component, testId).Closest(".mud-input-control")?.TextContent ?? throw new InvalidOperationException($"{testId} has no input control");

    private static void Check<T>(IRenderedComponent<T> component, string option, string channel)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.InvokeAsync(() => component.Find($"input[data-testid={option}][data-channel={channel}], [data-testid={option}][data-channel={channel}] input").Change(true))
            .GetAwaiter().GetResult();

    private static bool IsChecked<T>(IRenderedComponent<T> component, string option, string channel)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.Find($"input[data-testid={option}][data-channel={channel}], [data-testid={option}][data-channel={channel}] input").HasAttribute("checked");

    private static void NewCpuRule(IRenderedComponent<RulesPage> page)
    {
        ClickOn(page, "[data-testid=new-rule]");
        TypeInto(page, "field-id", "cpu-hot");
        TypeInto(page, "field-name", "CpuHot");
        TypeInto(page, "field-metric", "system.cpu.utilization");
        TypeInto(page, "field-threshold", "0.9");
    }

    private static AlertRule Routed() => new()
    {
        Id = "disk-full",
        Name = "DiskFull",
        Kind = RuleKind.Metric,
        Severity = AlertSeverity.Critical,
        Metric = new MetricCondition { Name = "system.filesystem.utilization", Threshold = 0.9, Aggregation = Aggregation.Max, WindowSeconds = 60 },
        Labels = new Dictionary<string, string> { ["team"] = "storage", ["note"] = "a, b=c" }, // a value the text form cannot say
        Annotations = new Dictionary<string, string>
        {
            ["summary"] = "{{mountpoint}} on {{host}} at {{value|percent}}",
            ["runbook"] = "https://runbooks.example.com/disk",
        },
        Channels = ["ops", "pager"],
        GroupBy = ["host", "mountpoint"],
        RepeatIntervalSeconds = 3600,
        Escalation = new EscalationPolicy { AfterSeconds = 900, Channels = ["pager"] },
        UpdatedBy = "bob",
    };

    [Fact]
    public void RulesPage_NotificationFields_ShowTheValidatorsMessagesNextToEachField()
    {
        var page = Render<RulesPage>();
        NewCpuRule(page);
        TypeInto(page, "field-labels", "team");
        ClickOn(page, "[data-testid=save-rule]");
        page.WaitForAssertion(() => Assert.Contains("'team' is not name=value", Beside(page, "field-labels"), StringComparison.Ordinal));

        TypeInto(page, "field-labels", "team=db");
        TypeInto(page, "field-summary", "CPU on {{host");
        TypeInto(page, "field-description", "{{value|hex}}");
        TypeInto(page, "field-repeat", "-5");
        TypeInto(page, "field-escalate-after", "300");
        page.WaitForAssertion(() => Assert.Contains("is not closed by", Beside(page, "field-summary"), StringComparison.Ordinal));
        Assert.DoesNotContain("is not name=value", Beside(page, "field-labels"), StringComparison.Ordinal);
        Assert.Contains("unknown format 'hex'", Beside(page, "field-description"), StringComparison.Ordinal);
        Assert.Contains("must be 0 or a positive number of seconds", Beside(page, "field-repeat"), StringComparison.Ordinal);
        Assert.Contains("name at least one channel to escalate to", page.Find("[data-testid=escalation-channels-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=form-error]"));

        TypeInto(page, "field-escalate-after", "soon");
        page.WaitForAssertion(() => Assert.Contains("'soon' is not a number", Beside(page, "field-escalate-after"), StringComparison.Ordinal));
    }

    [Fact]
    public void RulesPage_TemplateExample_RendersTheAnnotationsForASampleHostAndValue()
    {
        Batches.Feed(Model, Clock, "db-1", 3, _ => 0.2);
        Batches.Feed(Model, Clock, "web-1", 3, _ => 0.5);
        var page = Render<RulesPage>();
        NewCpuRule(page);
        TypeInto(page, "field-matchers", "host=~web-.*");
        TypeInto(page, "field-labels", "team=frontend");
        TypeInto(page, "field-summary", "CPU on {{host}} at {{value|percent}} (limit {{threshold}}, team {{labels.team}})");
        TypeInto(page, "field-description", "{{rule}} is {{severity}}");
        page.WaitForAssertion(() => Assert.Equal("summary: CPU on web-1 at 90 % (limit 0.9, team frontend)", page.Find("[data-testid=example-summary]").TextContent));
        Assert.Equal("description: CpuHot is warning", page.Find("[data-testid=example-description]").TextContent);
        Assert.Contains("Example for web-1 at 0.9", page.Find("[data-testid=template-example]").TextContent, StringComparison.Ordinal);

        TypeInto(page, "field-summary", "{{host");
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=example-summary]"))); // its message is under the field
    }

    [Fact]
    public void RulesPage_Edit_KeepsEverythingTheUserDidNotChange()
    {
        var rule = Routed();
        var form = RulesPage.FormOf(rule);
        var (same, errors) = RulesPage.Build(form);
        Assert.Null(errors);
        Assert.Equal(rule.Labels, same!.Labels);
        Assert.Equal(rule.Annotations, same.Annotations);
        Assert.Equal(rule.Channels, same.Channels);
        Assert.Equal(rule.GroupBy, same.GroupBy);
        Assert.Equal(rule.RepeatIntervalSeconds, same.RepeatIntervalSeconds);
        Assert.Equal(900.0, same.Escalation!.AfterSeconds);
        Assert.Equal(["pager"], same.Escalation.Channels);
        Assert.Equal("bob", same.UpdatedBy);

        // The form shows it all; changing the name and the summary changes only those.
        Model.Alerts.ApplyRule(rule.Id, rule);
        var page = Render<RulesPage>();
        ClickOn(page, "[data-testid=rule-row][data-rule=disk-full] [data-testid=edit-rule]");
        Assert.Equal("note=a, b=c, team=storage", InputOf(page, "field-labels").GetAttribute("value"));
        Assert.Equal("host, mountpoint", InputOf(page, "field-group-by").GetAttribute("value"));
        Assert.Equal("3600", InputOf(page, "field-repeat").GetAttribute("value"));
        Assert.Equal("900", InputOf(page, "field-escalate-after").GetAttribute("value"));
        Assert.True(IsChecked(page, "channel-option", "ops"));
        Assert.True(IsChecked(page, "escalation-option", "pager"));
        Assert.False(IsChecked(page, "escalation-option", "ops"));
        Assert.Contains("ops (not configured)", page.Find("[data-testid=field-channels]").TextContent, StringComparison.Ordinal); // alerting unreachable here

        form.Name = "DiskAlmostFull";
        form.Summary = "{{host}}: {{mountpoint}} full";
        var (edited, _) = RulesPage.Build(form);
        Assert.Equal(rule with { Name = "DiskAlmostFull", Annotations = edited!.Annotations, Labels = edited.Labels, Channels = edited.Channels, GroupBy = edited.GroupBy, Escalation = edited.Escalation, Metric = edited.Metric }, edited);
        Assert.Equal("{{host}}: {{mountpoint}} full", edited.Annotations["summary"]);
        Assert.Equal("https://runbooks.example.com/disk", edited.Annotations["runbook"]); // not on the form, kept
        Assert.Same(rule.Labels, edited.Labels);

        form.Summary = " ";
        form.Labels = "team=db";
        form.Channels = [];
        form.EscalateAfter = null;
        form.EscalationChannels = [];
        form.Repeat = "";
        var (cleared, _) = RulesPage.Build(form);
        Assert.False(cleared!.Annotations.ContainsKey("summary"));
        Assert.Equal(new Dictionary<string, string> { ["team"] = "db" }, cleared.Labels);
        Assert.Empty(cleared.Channels);
        Assert.Null(cleared.Escalation);
        Assert.Null(cleared.RepeatIntervalSeconds);
    }

    [Fact]
    public async Task RulesPage_ChannelsAreTheConfiguredOnes_AndTheSavedRuleCarriesTheChoice()
    {
        await using var alerting = await LiveAlerting.StartAsync();
        Model.Options.AlertingUrl = alerting.Url;
        await alerting.PutChannelAsync(new NotificationChannel { Id = "ops", Name = "Ops room", Type = ChannelType.Slack, Url = new Uri("https://hooks.slack.com/services/T/B/SECRET"), IsDefault = true });
        await alerting.PutChannelAsync(new NotificationChannel { Id = "pager", Name = "Pager", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1:9/page") });

        var page = Render<RulesPage>();
        NewCpuRule(page);
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=field-channels] [data-channel]").Select(e => e.GetAttribute("data-channel")).Distinct().Count()), Deadline);
        Assert.Contains("Ops room (slack, default)", page.Find("[data-testid=field-channels]").TextContent, StringComparison.Ordinal);
        Check(page, "channel-option", "ops");
        Check(page, "escalation-option", "pager");
        TypeInto(page, "field-escalate-after", "600");
        TypeInto(page, "field-group-by", "host");
        TypeInto(page, "field-labels", "team=web");
        TypeInto(page, "field-summary", "CPU on {{host}}");
        ClickOn(page, "[data-testid=save-rule]");

        AlertRule? saved = null;
        await Poll.UntilAsync(async () => (saved = await alerting.GetAsync("api/rules/cpu-hot", AlertCodec.Json.AlertRule)) is not null, Deadline, "the rule saved through the API", Xunit.TestContext.Current.CancellationToken);
        Assert.Equal(["ops"], saved!.Channels);
        Assert.Equal(600.0, saved.Escalation!.AfterSeconds);
        Assert.Equal(["pager"], saved.Escalation.Channels);
        Assert.Equal(["host"], saved.GroupBy);
        Assert.Equal("web", saved.Labels["team"]);
        Assert.Equal("CPU on {{host}}", saved.Annotations["summary"]);
    }

    [Fact]
    public void MaintenanceWindowForm_Edit_KeepsIdCreatorAndUnchangedFields()
    {
        var window = new Silence
        {
            Id = "maintenance-abc",
            Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = "db-.*" }],
            StartsAt = new DateTimeOffset(2026, 11, 25, 10, 0, 30, TimeSpan.Zero),
            EndsAt = new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero),
            CreatedBy = "ann",
            CreatedAt = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero),
            Comment = "patching",
            Recurrence = new Recurrence { Frequency = RecurrenceFrequency.Weekly, DaysOfWeek = [DayOfWeek.Sunday], StartTime = "02:00", DurationSeconds = 7200, TimeZone = "Europe/Paris" },
        };
        var form = MaintenanceWindows.FormOf(window);
        var (same, errors) = MaintenanceWindows.Build(form, "carl", Batches.Start);
        Assert.Null(errors);
        Assert.Equal(window with { Recurrence = same!.Recurrence }, same);
        Assert.Equal(window.Recurrence with { DaysOfWeek = same.Recurrence!.DaysOfWeek }, same.Recurrence);
        Assert.Equal([DayOfWeek.Sunday], same.Recurrence.DaysOfWeek);

        form.Matchers = "host=db-2";
        form.Days.Add(DayOfWeek.Wednesday);
        form.StartTime = "03:30";
        form.Comment = "db-2 only";
        var (edited, _) = MaintenanceWindows.Build(form, "carl", Batches.Start);
        Assert.Equal(("maintenance-abc", "ann", window.CreatedAt, window.StartsAt), (edited!.Id, edited.CreatedBy, edited.CreatedAt, edited.StartsAt));
        Assert.Equal("db-2", Assert.Single(edited.Matchers).Value);
        Assert.Equal([DayOfWeek.Wednesday, DayOfWeek.Sunday], edited.Recurrence!.DaysOfWeek);
        Assert.Equal(("03:30", "db-2 only"), (edited.Recurrence.StartTime, edited.Comment));
    }

    [Fact]
    public async Task AlertsPage_EditsAWindowAndASilence_ThroughTheApi()
    {
        await using var alerting = await LiveAlerting.StartAsync();
        Model.Options.AlertingUrl = alerting.Url;
        var now = DateTimeOffset.UtcNow;
        await alerting.PutSilenceAsync(new Silence
        {
            Id = "maintenance-nightly",
            Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = "db-.*" }],
            StartsAt = now.AddMinutes(-1), EndsAt = now.AddDays(30), CreatedBy = "ann", Comment = "patching",
            Recurrence = new Recurrence { Frequency = RecurrenceFrequency.Daily, StartTime = "02:00", DurationSeconds = 3600 },
        });
        await alerting.PutSilenceAsync(new Silence
        {
            Id = "silence-web",
            Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Equal, Value = "web-1" }],
            StartsAt = now.AddMinutes(-1), EndsAt = now.AddHours(1), CreatedBy = "bob",
        });

        var page = Render<AlertsPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=window-row][data-id=maintenance-nightly]")), Deadline);
        ClickOn(page, "[data-testid=window-row][data-id=maintenance-nightly] [data-testid=edit-window]");
        Assert.Equal("maintenance-nightly", page.Find("[data-testid=window-form]").GetAttribute("data-editing"));
        Assert.Equal("host=~db-.*", InputOf(page, "window-matchers").GetAttribute("value"));
        Assert.Equal("02:00", InputOf(page, "window-start-time").GetAttribute("value"));
        TypeInto(page, "window-start-time", "04:15");
        TypeInto(page, "window-comment", "patching, later");
        ClickOn(page, "[data-testid=save-window]");
        page.WaitForAssertion(() => Assert.Contains("daily at 04:15 for 1 h", page.Find("[data-testid=window-row][data-id=maintenance-nightly] [data-testid=window-schedule]").TextContent, StringComparison.Ordinal), Deadline);
        var window = await alerting.GetAsync("api/silences/maintenance-nightly", AlertCodec.Json.Silence);
        Assert.Equal(("04:15", "patching, later", "ann"), (window!.Recurrence!.StartTime, window.Comment, window.CreatedBy));

        // A plain silence opens in the same form (no recurrence): widen its matcher.
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=silence-row][data-id=silence-web]")), Deadline);
        ClickOn(page, "[data-testid=silence-row][data-id=silence-web] [data-testid=edit-silence]");
        Assert.Equal("silence-web", page.Find("[data-testid=window-form]").GetAttribute("data-editing"));
        TypeInto(page, "window-matchers", "host=~web-.*");
        ClickOn(page, "[data-testid=save-window]");
        await Poll.UntilAsync(async () => (await alerting.GetAsync("api/silences/silence-web", AlertCodec.Json.Silence))?.Matchers[0].Value == "web-.*", Deadline, "the silence edited", Xunit.TestContext.Current.CancellationToken);
        var silence = await alerting.GetAsync("api/silences/silence-web", AlertCodec.Json.Silence);
        Assert.Equal(("bob", (Recurrence?)null), (silence!.CreatedBy, silence.Recurrence));
    }

    [Theory]
    [InlineData(Aggregation.Avg, null)]
    [InlineData(Aggregation.Max, null)]
    [InlineData(Aggregation.Percentile, 90.0)]
    public void RulePreview_DrawsTheRulesAggregation_ValuesEqualTheEvaluators_RawSamplesFaint(Aggregation aggregation, double? percentile)
    {
        Batches.Feed(Model, Clock, "web-1", 60, i => 0.3 + (0.5 * ((i * 7) % 10) / 10.0));
        var preview = Render<RulePreview>(p => p
            .Add(x => x.Metric, "system.cpu.utilization")
            .Add(x => x.Matchers, [])
            .Add(x => x.Threshold, 0.9)
            .Add(x => x.Aggregation, aggregation)
            .Add(x => x.Percentile, percentile)
            .Add(x => x.WindowSeconds, 10));
        Assert.Single(preview.FindAll("polyline.series.faint"));
        var drawn = Assert.Single(preview.FindAll("polyline.series:not(.faint)"));
        Assert.Contains("raw samples faint", preview.Find("[data-testid=preview-status]").TextContent, StringComparison.Ordinal);

        // What the drawn line holds, point by point, is what the evaluator computes as the same samples arrive.
        var view = Assert.Single(Model.Hosts.Single().SeriesNamed("system.cpu.utilization"));
        var samples = view.Ring.Since(0);
        var condition = new MetricCondition { Name = "system.cpu.utilization", Threshold = 0.9, Aggregation = aggregation, Percentile = percentile, WindowSeconds = 10 };
        var aggregated = RulePreview.Aggregated(samples, condition, counterAsRate: false, from: 0);
        Assert.Equal(samples.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), drawn.GetAttribute("data-points"));
        var live = new Series("k", "web-1", "system.cpu.utilization", []) { RetainMs = 10_000 };
        for (var i = 0; i < samples.Length; i++)
        {
            live.Add(samples[i].TimeUnixMs, samples[i].Value);
            Assert.Equal(AlertEngine.Aggregate(live, condition, 10_000), aggregated[i].Value, 12);
        }

        Assert.NotEqual(samples.Select(p => p.Value), aggregated.Select(p => p.Value)); // not the raw samples again
    }

    [Fact]
    public void RulePreview_RateOfACounterHeldAsRates_EqualsTheEvaluatorsRateOfTheTotals()
    {
        long[] times = [.. Enumerable.Range(0, 40).Select(i => 1_000_000L + (i * 1_000L) + (i % 3 * 40))];
        double[] totals = [.. Enumerable.Range(0, 40).Select(i => (i * 1500.0) + (i * i * 3))];
        var rates = new CounterRates();
        var held = new List<Point>();
        for (var i = 0; i < times.Length; i++)
        {
            if (rates.TryRate("net", times[i], totals[i], out var rate))
            {
                held.Add(new Point(times[i], rate));
            }
        }

        var condition = new MetricCondition { Name = "system.network.io", Threshold = 1, Aggregation = Aggregation.Rate, WindowSeconds = 15 };
        var aggregated = RulePreview.Aggregated(held, condition, counterAsRate: true, from: 0);
        var live = new Series("k", "h", "system.network.io", []) { RetainMs = 15_000 };
        for (var i = 0; i < times.Length; i++)
        {
            live.Add(times[i], totals[i]);
            if (times[i] - 15_000 >= times[1]) // windows within what the dashboard holds (its first rate is at the second total)
            {
                var point = Assert.Single(aggregated, p => p.TimeUnixMs == times[i]);
                Assert.Equal(AlertEngine.Aggregate(live, condition, 15_000), point.Value, 9);
            }
        }
    }

    [Fact]
    public void LogPattern_LinkFor_UsesWhatTheAlertCarries_AfterTheRuleWasEditedOrDeleted()
    {
        var fired = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        var annotations = new Dictionary<string, string>();
        LogRuleAnnotations.AddTo(annotations, new LogCondition { Pattern = "payment (failed|declined)", IsRegex = true, WindowSeconds = 120 });
        var alert = AlertsPagesTests.Alert("f", AlertState.Firing) with { RuleId = "payment-errors", FiredAt = fired, ActiveSince = fired, Annotations = annotations };
        var expected = $"/logs?host=web-1&pattern=payment%20%28failed%7Cdeclined%29&from={fired.AddSeconds(-125).ToUnixTimeMilliseconds()}&to={fired.AddSeconds(5).ToUnixTimeMilliseconds()}&rule=payment-errors&regex=true";
        Assert.Equal(expected, LogPattern.LinkFor(alert, rule: null)); // deleted
        var edited = new AlertRule { Id = "payment-errors", Name = "PaymentErrors", Kind = RuleKind.Log, Log = new LogCondition { Pattern = "timeout", WindowSeconds = 10 } };
        Assert.Equal(expected, LogPattern.LinkFor(alert, edited));

        // The alerts page shows the link although no rule of that id exists any more.
        Model.Alerts.ApplyAlert(alert);
        var page = Render<AlertsPage>();
        Assert.Equal(expected, page.Find("[data-testid=alert-row][data-fingerprint=f] [data-testid=alert-lines]").GetAttribute("href"));
    }
}
