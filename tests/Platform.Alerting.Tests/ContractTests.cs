using System.Text;
using System.Text.Json.Nodes;
using Platform.Alerting.Rules;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests;

public sealed class ContractTests
{
    [Fact]
    public void AlertRule_RoundTrips_AsCamelCaseJsonWithSymbolicEnums()
    {
        var rule = DefaultRules.All[0];
        var bytes = AlertCodec.Encode(rule);
        var json = JsonNode.Parse(bytes)!;
        Assert.Equal("default-cpu-high", (string?)json["id"]);
        Assert.Equal("metric", (string?)json["kind"]);
        Assert.Equal(">", (string?)json["metric"]!["comparison"]);
        Assert.Equal("!~", (string?)json["metric"]!["matchers"]![0]!["op"]);
        Assert.Equal("avg", (string?)json["metric"]!["aggregation"]);
        Assert.Null(json["log"]);
        Assert.Contains("\"comparison\":\">\"", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal); // readable, not \u003E

        var back = AlertCodec.DecodeRule(bytes);
        Assert.Equal(rule.Metric!.Threshold, back.Metric!.Threshold);
        Assert.Equal(rule.Metric.Matchers[0], back.Metric.Matchers[0]);
        Assert.Equal(rule.Annotations["summary"], back.Annotations["summary"]);
        Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(AlertCodec.Encode(back)));
    }

    [Fact]
    public void AlertTransition_Silence_Channel_RoundTrip()
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var alert = new AlertTransition
        {
            Fingerprint = "0123456789abcdef",
            RuleId = "r",
            RuleName = "R",
            State = AlertState.Firing,
            PreviousState = AlertState.Pending,
            Event = AlertEvent.Transition,
            Labels = new Dictionary<string, string> { ["host"] = "h" },
            At = at,
            FiredAt = at,
            Value = 0.93,
        };
        var json = JsonNode.Parse(AlertCodec.Encode(alert))!;
        Assert.Equal("firing", (string?)json["state"]);
        Assert.Equal("pending", (string?)json["previousState"]);
        var back = AlertCodec.DecodeAlert(AlertCodec.Encode(alert));
        Assert.Equal(alert.FiredAt, back.FiredAt);
        Assert.Equal("h", back.Labels["host"]);

        var silence = new Silence
        {
            Id = "s",
            Matchers = [new LabelMatcher { Name = "host", Op = MatchOperator.Regex, Value = "db-.*" }],
            StartsAt = at,
            EndsAt = at.AddDays(30),
            Recurrence = new Recurrence { Frequency = RecurrenceFrequency.Weekly, DaysOfWeek = [DayOfWeek.Sunday], StartTime = "02:00", DurationSeconds = 7200 },
        };
        var silenceJson = JsonNode.Parse(AlertCodec.Encode(silence))!;
        Assert.Equal("weekly", (string?)silenceJson["recurrence"]!["frequency"]);
        Assert.Equal("Sunday", (string?)silenceJson["recurrence"]!["daysOfWeek"]![0]);
        Assert.Equal(DayOfWeek.Sunday, AlertCodec.DecodeSilence(AlertCodec.Encode(silence)).Recurrence!.DaysOfWeek[0]);

        var channel = new NotificationChannel
        {
            Id = "mail",
            Name = "Mail",
            Type = ChannelType.Email,
            Email = new EmailSettings { SmtpHost = "127.0.0.1", SmtpPort = 2525, From = "a@b.c", To = ["d@e.f"], Security = SmtpSecurity.StartTls },
        };
        var channelJson = JsonNode.Parse(AlertCodec.Encode(channel))!;
        Assert.Equal("email", (string?)channelJson["type"]);
        Assert.Equal("starttls", (string?)channelJson["email"]!["security"]);
        Assert.Equal(2525, AlertCodec.DecodeChannel(AlertCodec.Encode(channel)).Email!.SmtpPort);
    }

    [Fact]
    public void Decode_KeepsDefaults_ForMissingFields()
    {
        var rule = AlertCodec.DecodeRule("""{ "id": "a", "name": "A", "kind": "log", "log": { "pattern": "x", "windowSeconds": 5 } }"""u8);
        Assert.True(rule.Enabled);
        Assert.Equal(AlertSeverity.Warning, rule.Severity);
        Assert.Equal(1, rule.Log!.MinCount);
        Assert.Empty(rule.Labels);
        Assert.Empty(rule.Annotations);
        Assert.Empty(rule.Channels);
        Assert.Empty(rule.GroupBy);
        Assert.Empty(rule.Log.Matchers);
        var channel = AlertCodec.DecodeChannel("""{ "id": "m", "name": "M", "type": "email", "email": { "smtpHost": "h", "from": "a@b.c", "to": ["d@e.f"] } }"""u8);
        Assert.True(channel.Enabled);
        Assert.Equal(25, channel.Email!.SmtpPort);
        Assert.Empty(channel.Headers);
        var alert = AlertCodec.DecodeAlert("""{ "fingerprint": "f", "ruleId": "r", "ruleName": "R" }"""u8);
        Assert.Empty(alert.Labels);
        var silence = AlertCodec.DecodeSilence("""{ "id": "s", "matchers": [], "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-01-02T00:00:00Z", "recurrence": { "startTime": "02:00", "durationSeconds": 60 } }"""u8);
        Assert.Empty(silence.Recurrence!.DaysOfWeek);
    }

    [Fact]
    public void Decode_Throws_OnMalformedJson()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => AlertCodec.DecodeRule("{\"id\":"u8));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => AlertCodec.DecodeRule("{\"name\":\"x\"}"u8)); // id is required
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => AlertCodec.DecodeRule("{\"id\":\"a\",\"name\":\"x\",\"kind\":\"nope\"}"u8));
    }

    [Fact]
    public void Fingerprint_IgnoresLabelOrder_AndDependsOnRule()
    {
        var a = AlertFingerprint.Compute("r", new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var b = AlertFingerprint.Compute("r", new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        var c = AlertFingerprint.Compute("s", new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(16, a.Length);
    }
}
