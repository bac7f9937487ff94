using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Alerting.Tests.Support;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.Alerting.Tests.Integration;

/// <summary>Alerting on the real broker over 127.0.0.1: samples in, notifications out.</summary>
public sealed class AlertingIntegrationTests
{
    private static readonly TimeSpan Deadline = AlertingCluster.Deadline;

    private static AlertRule CpuRule(double repeatSeconds = 0) => new()
    {
        Id = "cpu-high",
        Name = "HighCpu",
        Kind = RuleKind.Metric,
        Severity = AlertSeverity.Critical,
        Metric = new MetricCondition { Name = "system.cpu.utilization", Comparison = Comparison.GreaterThan, Threshold = 0.9, RecoveryThreshold = 0.8 },
        GroupBy = ["host"],
        RepeatIntervalSeconds = repeatSeconds,
        Annotations = new Dictionary<string, string> { ["summary"] = "CPU on {{host}} at {{value|percent}}" },
    };

    private static NotificationChannel Hook(WebhookReceiver receiver, string path = "/hook") =>
        new() { Id = "hook", Name = "hook", Type = ChannelType.Webhook, Url = receiver.Url(path), IsDefault = true };

    private static List<(string Status, string Host)> Notified(WebhookReceiver receiver, string path = "/hook") =>
        [.. receiver.BodiesOf(path).SelectMany(b => b["alerts"]!.AsArray().Select(a =>
            ((string)b["status"]!, (string)a!["labels"]!["host"]!)))];

    [Fact]
    public async Task SamplesIn_NotificationOut_AtWebhookAndSmtp()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var smtp = new SmtpSink();
        var alerting = await cluster.StartAlertingAsync("a");
        await alerting.PutChannelAsync(Hook(receiver));
        await alerting.PutChannelAsync(new NotificationChannel
        {
            Id = "mail",
            Name = "mail",
            Type = ChannelType.Email,
            IsDefault = true,
            Email = new EmailSettings { SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, From = "alerts@example.com", To = ["oncall@example.com"] },
        });
        await alerting.PutRuleAsync(CpuRule());
        await alerting.WaitAssignedAsync();

        await cluster.SendAsync("web-1", "system.cpu.utilization", 0.5);
        await cluster.SendAsync("web-1", "system.cpu.utilization", 0.97);
        await Poll.UntilAsync(() => Notified(receiver).Contains(("firing", "web-1")), Deadline, "the firing webhook");
        await Poll.UntilAsync(() => !smtp.Messages.IsEmpty, Deadline, "the firing email");
        smtp.Messages.TryPeek(out var mail);
        Assert.Equal("[FIRING:1] HighCpu (web-1)", mail!.Subject);
        var body = receiver.BodiesOf("/hook").First();
        Assert.Equal("CPU on web-1 at 97 %", (string?)body["alerts"]![0]!["annotations"]!["summary"]);

        await cluster.SendAsync("web-1", "system.cpu.utilization", 0.3);
        await Poll.UntilAsync(() => Notified(receiver).Contains(("resolved", "web-1")), Deadline, "the resolved webhook");
        await Poll.UntilAsync(() => smtp.Messages.Count >= 2, Deadline, "the resolved email");
        Assert.Equal([("firing", "web-1"), ("resolved", "web-1")], Notified(receiver));

        // The alerts topic holds the lifecycle for the dashboard; the API reads it back from the topic, so it may
        // trail the notification by a poll.
        JsonArray alerts = [];
        await Poll.UntilAsync(async () =>
        {
            alerts = (await alerting.GetJsonAsync("/api/alerts")).AsArray();
            return alerts.Count > 0 && (string?)alerts[^1]!["state"] == "resolved";
        }, Deadline, "the resolved alert read back from the alerts topic");
        Assert.Equal("resolved", (string?)Assert.Single(alerts)!["state"]);
        JsonArray deliveries = [];
        await Poll.UntilAsync(async () =>
        {
            deliveries = (await alerting.GetJsonAsync("/api/channels/hook/deliveries")).AsArray();
            return deliveries.Count >= 2;
        }, Deadline, "both deliveries logged");
        Assert.Equal(2, deliveries.Count(d => (bool)d!["success"]!));
    }

    [Fact]
    public async Task Restart_WhileFiring_NeitherRenotifiesNorLosesTheResolve()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var first = await cluster.StartAlertingAsync("first");
        await first.PutChannelAsync(Hook(receiver));
        await first.PutRuleAsync(CpuRule());
        await first.WaitAssignedAsync();
        await cluster.SendAsync("db-1", "system.cpu.utilization", 0.99);
        await Poll.UntilAsync(() => Notified(receiver).Contains(("firing", "db-1")), Deadline, "the firing webhook");
        await first.StopAsync();

        var second = await cluster.StartAlertingAsync("second");
        await second.WaitAssignedAsync(2);
        var evaluated = second.Service.BatchesEvaluated;
        await cluster.SendAsync("db-1", "system.cpu.utilization", 0.98);
        await Poll.UntilAsync(() => second.Service.BatchesEvaluated > evaluated, Deadline, "the batch evaluated after the restart");
        var alert = (await second.GetJsonAsync("/api/alerts")).AsArray().Single()!;
        Assert.Equal("firing", (string?)alert["state"]);

        await cluster.SendAsync("db-1", "system.cpu.utilization", 0.1);
        await Poll.UntilAsync(() => Notified(receiver).Contains(("resolved", "db-1")), Deadline, "the resolved webhook after the restart");
        Assert.Equal([("firing", "db-1"), ("resolved", "db-1")], Notified(receiver));
    }

    [Fact]
    public async Task Restart_WhileAHostIsAlreadySilent_StillRaisesItsAbsenceAlert()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var first = await cluster.StartAlertingAsync("first");
        await first.PutChannelAsync(Hook(receiver));
        await first.PutRuleAsync(new AlertRule { Id = "silent", Name = "HostSilent", Kind = RuleKind.Absence, Absence = new AbsenceCondition { AfterSeconds = 8 } });
        await first.WaitAssignedAsync(2);
        await cluster.SendAsync("quiet-1", "system.cpu.utilization", 0.1);
        await Poll.UntilAsync(() => first.Service.BatchesEvaluated >= 1, Deadline, "the last batch evaluated");
        await first.StopAsync(); // its committed offsets are past the host's last batch

        var second = await cluster.StartAlertingAsync("second");
        await Poll.UntilAsync(() => Notified(receiver).Contains(("firing", "quiet-1")), Deadline, "the silent host noticed after the restart");
        Assert.Single(Notified(receiver));
    }

    [Fact]
    public async Task TwoInstances_SplitTheHosts_AndOneCarriesOnWhenTheOtherStops()
    {
        await using var cluster = await AlertingCluster.StartAsync(partitions: 4);
        await using var receiver = await WebhookReceiver.StartAsync();
        var a = await cluster.StartAlertingAsync("a");
        await a.PutChannelAsync(Hook(receiver));
        await a.PutRuleAsync(CpuRule());
        var b = await cluster.StartAlertingAsync("b");
        await Poll.UntilAsync(() => a.Service.Assignment.Count > 0 && b.Service.Assignment.Count > 0
            && a.Service.Assignment.Count + b.Service.Assignment.Count == 8, Deadline, "both instances assigned");

        var hosts = Enumerable.Range(1, 12).Select(i => $"node-{i:00}").ToList();
        foreach (var host in hosts)
        {
            await cluster.SendAsync(host, "system.cpu.utilization", 0.95);
        }

        try
        {
            await Poll.UntilAsync(() => hosts.All(h => Notified(receiver).Contains(("firing", h))), Deadline, "every host firing");
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"not every host fired: notified {string.Join(",", Notified(receiver))}; a {string.Join(",", a.Service.Assignment)} {a.Service.BatchesEvaluated}; b {string.Join(",", b.Service.Assignment)} {b.Service.BatchesEvaluated}; rules b {b.Runtime.Rules.Items.Count} channels b {b.Runtime.Channels.Items.Count}");
        }
        Assert.True(a.Service.BatchesEvaluated > 0, "instance a evaluated nothing");
        Assert.True(b.Service.BatchesEvaluated > 0, "instance b evaluated nothing");

        await b.StopAsync();
        await Poll.UntilAsync(() => a.Service.Assignment.Count == 8, Deadline, "a taking every partition");
        foreach (var host in hosts)
        {
            await cluster.SendAsync(host, "system.cpu.utilization", 0.2);
        }

        await Poll.UntilAsync(() => hosts.All(h => Notified(receiver).Contains(("resolved", h))), Deadline, "every host resolved by a");
        var notified = Notified(receiver);
        Assert.Equal(hosts.Count, notified.Count(n => n.Status == "firing"));
        Assert.Equal(hosts.Count, notified.Count(n => n.Status == "resolved"));
    }

    [Fact]
    public async Task Acknowledge_ThroughTheApi_StopsRepeats()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var alerting = await cluster.StartAlertingAsync("a");
        await alerting.PutChannelAsync(Hook(receiver));
        await alerting.PutRuleAsync(CpuRule(repeatSeconds: 1));
        await alerting.WaitAssignedAsync();
        await cluster.SendAsync("acked", "system.cpu.utilization", 0.99);
        await cluster.SendAsync("clock", "system.cpu.utilization", 0.99);
        await Poll.UntilAsync(() => Notified(receiver).Count(n => n.Host == "acked") >= 2, Deadline, "a repeat");

        string? fingerprint = null;
        await Poll.UntilAsync(async () =>
        {
            fingerprint = (string?)(await alerting.GetJsonAsync("/api/alerts")).AsArray()
                .SingleOrDefault(a => (string?)a!["labels"]!["host"] == "acked")?["fingerprint"];
            return fingerprint is not null;
        }, Deadline, "the alert read back from the alerts topic");
        using var ack = await alerting.Http.PostAsJsonAsync($"/api/alerts/{fingerprint}/ack", new { by = "alice", comment = "on it" });
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var acked = (await ack.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("alice", (string?)acked["acknowledgedBy"]);

        // The unacknowledged alert keeps repeating: it is the clock that shows the acknowledged one stopped. The channel
        // delivers in the order the engine decided, so once a repeat of the clock decided after the acknowledgement has
        // arrived, so has every repeat of the acknowledged alert decided before it (on a loaded machine a backlog of
        // those can still be on its way when the acknowledgement returns).
        var ackedAt = DateTimeOffset.UtcNow;
        await Poll.UntilAsync(() => receiver.BodiesOf("/hook").Any(b => b["at"]!.GetValue<DateTimeOffset>() > ackedAt
            && b["alerts"]!.AsArray().Any(a => (string?)a!["labels"]!["host"] == "clock")), Deadline, "a repeat of the clock decided after the acknowledgement");
        var afterAck = Notified(receiver).Count(n => n.Host == "acked");
        var clockAtAck = Notified(receiver).Count(n => n.Host == "clock");
        await Poll.UntilAsync(() => Notified(receiver).Count(n => n.Host == "clock") >= clockAtAck + 3, Deadline, "three more repeats of the other alert");
        Assert.True(Notified(receiver).Count(n => n.Host == "acked") <= afterAck + 1, "repeats continued after the acknowledgement");
    }

    [Fact]
    public async Task Api_RejectsBadRules_WithFieldLevelProblems_AndServesOpenApi()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        var alerting = await cluster.StartAlertingAsync("a", o => o.SeedDefaultRules = true);
        var rules = (await alerting.GetJsonAsync("/api/rules")).AsArray().Select(r => (string)r!["id"]!).ToList();
        Assert.Contains("default-cpu-high", rules);
        Assert.Contains("default-host-silent", rules);

        const string bad = """
            { "id": "bad", "name": "Bad", "kind": "metric",
              "metric": { "name": "system.cpu.utilization", "comparison": ">", "threshold": 90,
                          "matchers": [ { "name": "cpu", "op": "=~", "value": "([0-9" } ] } }
            """;
        using var response = await alerting.Http.PutAsync("/api/rules/bad", new StringContent(bad, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Contains("did you mean 0.9?", (string?)problem["errors"]!["metric.threshold"]![0], StringComparison.Ordinal);
        Assert.StartsWith("bad regular expression", (string?)problem["errors"]!["metric.matchers[0].value"]![0], StringComparison.Ordinal);

        using var unknown = await alerting.Http.PostAsync("/api/rules/validate", new StringContent(
            """{ "id": "q", "name": "Q", "kind": "metric", "metric": { "name": "no.such.metric", "threshold": 1 } }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("unknown metric", (await unknown.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        using var malformed = await alerting.Http.PutAsync("/api/rules/x", new StringContent("{ \"id\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        using var deleted = await alerting.Http.DeleteAsync("/api/rules/default-cpu-high");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.DoesNotContain("default-cpu-high", (await alerting.GetJsonAsync("/api/rules")).AsArray().Select(r => (string)r!["id"]!));

        var openApi = await alerting.GetJsonAsync("/api/openapi/alerting.json");
        Assert.NotNull(openApi["paths"]!["/api/rules/{id}"]);
        Assert.NotNull(openApi["paths"]!["/api/alerts/{fingerprint}/ack"]);
    }

    [Fact]
    public async Task Backtest_ReportsWhenAnUnsavedRuleWouldHaveFired()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        var alerting = await cluster.StartAlertingAsync("a");
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        // An hour ago: 10 minutes at 50 %, 5 minutes at 95 %, then 50 % again; one sample every 10 s.
        for (var s = 0; s < 30 * 60; s += 10)
        {
            var value = s is >= 600 and < 900 ? 0.95 : 0.5;
            await cluster.SendAsync("batch-1", "system.cpu.utilization", value, start.AddSeconds(s));
        }

        var rule = CpuRule() with { Id = "unsaved", ForSeconds = 120 };
        using var response = await alerting.Http.PostAsJsonAsync("/api/rules/backtest", new JsonObject
        {
            ["rule"] = JsonNode.Parse(AlertCodec.Encode(rule)),
            ["from"] = start.AddMinutes(-1),
            ["to"] = start.AddMinutes(40),
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var result = JsonNode.Parse(text)!;
        Assert.Equal(180, (long)result["batches"]!);
        var episode = Assert.Single(result["episodes"]!.AsArray())!;
        var fired = episode["firedAt"]!.GetValue<DateTimeOffset>();
        var resolved = episode["resolvedAt"]!.GetValue<DateTimeOffset>();
        Assert.InRange((fired - start).TotalSeconds, 719, 722); // 600 s + for 120 s
        Assert.InRange((resolved - start).TotalSeconds, 899, 902);
        Assert.Empty((await alerting.GetJsonAsync("/api/rules")).AsArray()); // nothing was saved
    }

    [Fact]
    public async Task RulesFile_IsPublishedAtStart_AndSilencesGoThroughTheApi()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        using var dir = new TempDirectory("alerting-rules");
        var file = Path.Combine(dir.Path, "rules.yaml");
        await File.WriteAllTextAsync(file, """
            rules:
              - id: from-git
                name: FromGit
                kind: log
                log: { pattern: "panic", windowSeconds: 60 }
            """);
        var alerting = await cluster.StartAlertingAsync("a", o => o.RulesFile = file);
        var rule = await alerting.GetJsonAsync("/api/rules/from-git");
        Assert.Equal("file:rules.yaml", (string?)rule["updatedBy"]);

        using var created = await alerting.Http.PostAsync("/api/silences", new StringContent($$"""
            { "matchers": [ { "name": "host", "op": "=~", "value": "db-.*" } ],
              "startsAt": "{{DateTimeOffset.UtcNow:O}}", "endsAt": "{{DateTimeOffset.UtcNow.AddHours(1):O}}", "createdBy": "alice" }
            """, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (string)(await created.Content.ReadFromJsonAsync<JsonNode>())!["id"]!;
        Assert.Single((await alerting.GetJsonAsync("/api/silences")).AsArray());

        using var bad = await alerting.Http.PostAsync("/api/silences", new StringContent(
            """{ "matchers": [], "startsAt": "2026-01-02T00:00:00Z", "endsAt": "2026-01-01T00:00:00Z" }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = (await bad.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!;
        Assert.NotNull(problem["matchers"]);
        Assert.NotNull(problem["endsAt"]);

        var matches = await alerting.GetJsonAsync($"/api/silences/{id}/matches");
        Assert.True((bool)matches["active"]!);
        Assert.Empty(matches["alerts"]!.AsArray());
        Assert.Equal(id, (string?)(await alerting.GetJsonAsync($"/api/silences/{id}"))["id"]);

        using var deleted = await alerting.Http.DeleteAsync($"/api/silences/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty((await alerting.GetJsonAsync("/api/silences")).AsArray());
    }

    [Fact]
    public async Task SilencePut_EditsTheWindow_AndTheEditSurvivesARestart()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        var first = await cluster.StartAlertingAsync("first");
        var start = DateTimeOffset.UtcNow;
        using var created = await first.Http.PostAsync("/api/silences", new StringContent($$"""
            { "id": "patch-night", "matchers": [ { "name": "host", "op": "=~", "value": "db-.*" } ],
              "startsAt": "{{start:O}}", "endsAt": "{{start.AddDays(7):O}}", "createdBy": "alice", "comment": "patching",
              "recurrence": { "frequency": "daily", "startTime": "02:00", "durationSeconds": 3600 } }
            """, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var edited = await first.Http.PutAsync("/api/silences/patch-night", new StringContent($$"""
            { "matchers": [ { "name": "host", "op": "=", "value": "db-2" } ],
              "startsAt": "{{start:O}}", "endsAt": "{{start.AddDays(14):O}}", "comment": "patching, db-2 only",
              "recurrence": { "frequency": "weekly", "daysOfWeek": ["Sunday"], "startTime": "03:30", "durationSeconds": 7200, "timeZone": "Europe/Paris" } }
            """, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var now = await first.GetJsonAsync("/api/silences/patch-night");
        Assert.Equal("db-2", (string?)now["matchers"]![0]!["value"]);
        Assert.Equal("alice", (string?)now["createdBy"]); // kept from the original
        Assert.Single((await first.GetJsonAsync("/api/silences")).AsArray());

        using var bad = await first.Http.PutAsync("/api/silences/patch-night", new StringContent(
            """{ "id": "other", "matchers": [], "startsAt": "2026-01-02T00:00:00Z", "endsAt": "2026-01-01T00:00:00Z" }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await bad.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!["id"]);
        using var missing = await first.Http.PutAsync("/api/silences/nope", new StringContent(
            """{ "matchers": [ { "name": "host", "op": "=", "value": "x" } ], "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-01-02T00:00:00Z" }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await first.StopAsync();

        // A fresh instance with its own state directory reads the silences topic back: the newest record wins.
        var second = await cluster.StartAlertingAsync("second");
        var replayed = await second.GetJsonAsync("/api/silences/patch-night");
        Assert.Equal("db-2", (string?)replayed["matchers"]![0]!["value"]);
        Assert.Equal("patching, db-2 only", (string?)replayed["comment"]);
        Assert.Equal("weekly", (string?)replayed["recurrence"]!["frequency"]);
        Assert.Equal("03:30", (string?)replayed["recurrence"]!["startTime"]);
        Assert.Equal("alice", (string?)replayed["createdBy"]);
        Assert.Single((await second.GetJsonAsync("/api/silences")).AsArray());
    }
}
