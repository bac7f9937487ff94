using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Alerting.Security;
using Platform.Alerting.Tests.Support;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.Alerting.Tests.Integration;

/// <summary>The REST API over the real broker: who is recorded, what is refused, the alert history, the OpenAPI document.</summary>
public sealed class ApiIntegrationTests
{
    private static readonly TimeSpan Deadline = AlertingCluster.Deadline;

    private static AlertRule CpuRule() => new()
    {
        Id = "cpu-high",
        Name = "HighCpu",
        Kind = RuleKind.Metric,
        Severity = AlertSeverity.Critical,
        Metric = new MetricCondition { Name = "system.cpu.utilization", Comparison = Comparison.GreaterThan, Threshold = 0.9 },
        GroupBy = ["host"],
        Labels = new Dictionary<string, string> { ["team"] = "web" },
        RepeatIntervalSeconds = 0,
    };

    [Fact]
    public async Task SecurityOn_RecordsTheSignedInUser_WhateverTheBodySays()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var dir = new TempDirectory("alerting-users");
        var users = Path.Combine(dir.Path, "users.json");
        new UserStore(users).Add("carol", PlatformRoles.Admin, "carol-password-1");
        var alerting = await cluster.StartAlertingAsync("secure", usersFile: users);
        using (var anonymous = await alerting.Http.GetAsync("/api/rules"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        alerting.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("carol:carol-password-1")));
        await alerting.PutChannelAsync(new NotificationChannel { Id = "hook", Name = "hook", Type = ChannelType.Webhook, Url = receiver.Url("/hook"), IsDefault = true });
        await alerting.PutRuleAsync(CpuRule());
        await alerting.WaitAssignedAsync();
        await cluster.SendAsync("web-1", "system.cpu.utilization", 0.99);
        string? fingerprint = null;
        await Poll.UntilAsync(async () =>
        {
            fingerprint = (string?)(await alerting.GetJsonAsync("/api/alerts")).AsArray().FirstOrDefault(a => (string?)a!["state"] == "firing")?["fingerprint"];
            return fingerprint is not null;
        }, Deadline, "the firing alert");

        using var ack = await alerting.Http.PostAsJsonAsync($"/api/alerts/{fingerprint}/ack", new { by = "mallory", comment = "on it" });
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        var acked = (await ack.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("carol", (string?)acked["acknowledgedBy"]);
        Assert.NotNull(acked["acknowledgedAt"]);

        using var silence = await alerting.Http.PostAsync("/api/silences", new StringContent($$"""
            { "matchers": [ { "name": "host", "op": "=", "value": "web-1" } ],
              "startsAt": "{{DateTimeOffset.UtcNow:O}}", "endsAt": "{{DateTimeOffset.UtcNow.AddHours(1):O}}", "createdBy": "mallory" }
            """, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, silence.StatusCode);
        Assert.Equal("carol", (string?)(await silence.Content.ReadFromJsonAsync<JsonNode>())!["createdBy"]);

        using var test = await alerting.Http.PostAsync("/api/channels/hook/test?by=mallory", null);
        Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        var body = receiver.BodiesOf("/hook").Single(b => (string?)b["reason"] == "test");
        Assert.Contains("requested by carol", (string?)body["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_WithUnknownChannels_AreRefused_FieldByField()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        var alerting = await cluster.StartAlertingAsync("a");
        await alerting.PutChannelAsync(new NotificationChannel { Id = "ops", Name = "ops", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1:1/") });
        var rule = CpuRule() with { Channels = ["ops", "nope"], Escalation = new EscalationPolicy { AfterSeconds = 60, Channels = ["pager"] } };
        using var content = new ByteArrayContent(AlertCodec.Encode(rule));
        content.Headers.ContentType = new("application/json");
        using var response = await alerting.Http.PutAsync("/api/rules/cpu-high", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsObject();
        Assert.Equal("unknown channel 'nope'", (string?)errors["channels[1]"]![0]);
        Assert.Equal("unknown channel 'pager'", (string?)errors["escalation.channels[0]"]![0]);
        Assert.Null(errors["channels[0]"]);

        await alerting.PutRuleAsync(rule with { Channels = ["ops"], Escalation = null });
    }

    [Fact]
    public async Task RulesFile_WithAnUnknownMetricChannelOrAnInvalidRule_DoesNotStopTheStart()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        using var dir = new TempDirectory("alerting-rules");
        var file = Path.Combine(dir.Path, "rules.yaml");
        await File.WriteAllTextAsync(file, """
            rules:
              - id: app-queue
                name: AppQueue
                kind: metric
                metric: { name: app.queue.depth, threshold: 100 }
              - id: pids
                name: ContainerPids
                kind: metric
                metric: { name: container.pids.count, threshold: 1000 }
                channels: [ nowhere ]
              - id: broken
                name: Broken
                kind: metric
                metric: { name: system.cpu.utilization, threshold: 90 }
            """);
        var alerting = await cluster.StartAlertingAsync("a", o => o.RulesFile = file);
        var ids = (await alerting.GetJsonAsync("/api/rules")).AsArray().Select(r => (string)r!["id"]!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["app-queue", "pids"], ids);
        var names = (await alerting.GetJsonAsync("/api/metrics/names")).AsArray().Select(n => (string)n!).ToList();
        Assert.Contains("system.process.count", names);
        Assert.Contains("container.memory.working_set", names);
    }

    [Fact]
    public async Task Import_SkipsRulesAlreadyOnTheTopic()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        var alerting = await cluster.StartAlertingAsync("a");
        const string yaml = """
            - id: one
              name: One
              kind: log
              log: { pattern: "panic", windowSeconds: 60 }
            - id: two
              name: Two
              kind: log
              log: { pattern: "oops", windowSeconds: 60 }
            """;
        async Task<JsonNode> ImportAsync(string text)
        {
            using var response = await alerting.Http.PostAsync("/api/rules/import", new StringContent(text, Encoding.UTF8, "application/yaml"));
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        }

        Assert.Equal(2, (await ImportAsync(yaml))["changed"]!.AsArray().Count);
        var updatedAt = (string?)(await alerting.GetJsonAsync("/api/rules/one"))["updatedAt"];
        Assert.Empty((await ImportAsync(yaml))["changed"]!.AsArray());
        Assert.Equal(updatedAt, (string?)(await alerting.GetJsonAsync("/api/rules/one"))["updatedAt"]);
        var changed = (await ImportAsync(yaml.Replace("oops", "oops!", StringComparison.Ordinal)))["changed"]!.AsArray();
        Assert.Equal("two", (string?)Assert.Single(changed));
    }

    [Fact]
    public async Task History_ReadsEveryRecordBack_NewestFirst_WithFilters()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        var alerting = await cluster.StartAlertingAsync("a");
        await alerting.PutRuleAsync(CpuRule());
        await alerting.WaitAssignedAsync(2);
        var start = DateTimeOffset.UtcNow;
        await cluster.SendAsync("web-1", "system.cpu.utilization", 0.99);
        await cluster.SendAsync("web-2", "system.cpu.utilization", 0.99);
        await cluster.SendAsync("web-1", "system.cpu.utilization", 0.1);
        await Poll.UntilAsync(async () =>
            (await alerting.GetJsonAsync("/api/alerts")).AsArray().Any(a => (string?)a!["state"] == "resolved"), Deadline, "web-1 resolved");

        var web1 = (await alerting.GetJsonAsync("/api/alerts/history?host=web-1")).AsArray();
        Assert.Equal(["resolved", "firing"], web1.Select(r => (string?)r!["state"]));
        Assert.Equal("critical", (string?)web1[1]!["severity"]);
        Assert.Equal("web", (string?)web1[1]!["labels"]!["team"]);

        var firing = (await alerting.GetJsonAsync("/api/alerts/history?state=firing&rule=cpu-high")).AsArray();
        Assert.Equal(["web-1", "web-2"], firing.Select(r => (string?)r!["labels"]!["host"]).Order(StringComparer.Ordinal));
        Assert.Equal(3, (await alerting.GetJsonAsync("/api/alerts/history?label=team=web&label=alertname=HighCpu")).AsArray().Count);
        Assert.Empty((await alerting.GetJsonAsync("/api/alerts/history?label=team=db")).AsArray());
        Assert.Single((await alerting.GetJsonAsync("/api/alerts/history?limit=1")).AsArray());
        var from = Uri.EscapeDataString(start.AddMinutes(-1).ToString("O"));
        Assert.Equal(3, (await alerting.GetJsonAsync($"/api/alerts/history?from={from}")).AsArray().Count);
        var later = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"));
        Assert.Empty((await alerting.GetJsonAsync($"/api/alerts/history?from={later}")).AsArray());
        var before = Uri.EscapeDataString(start.AddMinutes(-1).ToString("O"));
        Assert.Empty((await alerting.GetJsonAsync($"/api/alerts/history?to={before}")).AsArray());

        using var bad = await alerting.Http.GetAsync("/api/alerts/history?label=team&state=burning");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!;
        Assert.NotNull(errors["label[0]"]);
        Assert.NotNull(errors["state"]);
    }

    [Fact]
    public async Task OpenApi_DocumentsEveryRoute()
    {
        await using var cluster = await AlertingCluster.StartAsync();
        var alerting = await cluster.StartAlertingAsync("a");
        var paths = (await alerting.GetJsonAsync("/api/openapi/alerting.json"))["paths"]!.AsObject();
        var routes = alerting.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Where(r => r.StartsWith("/api/", StringComparison.Ordinal) && !r.StartsWith("/api/openapi/", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.True(routes.Count >= 15, string.Join(", ", routes));
        Assert.Contains("/api/alerts/history", routes);
        Assert.All(routes, r => Assert.True(paths.ContainsKey(r), $"{r} is not in the OpenAPI document"));
    }
}
