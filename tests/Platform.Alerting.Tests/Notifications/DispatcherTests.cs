using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Alerting.Notifications;
using Platform.Alerting.Notifications.Discord;
using Platform.Alerting.Notifications.Email;
using Platform.Alerting.Notifications.Slack;
using Platform.Alerting.Notifications.Teams;
using Platform.Alerting.Notifications.Webhook;
using Platform.Alerting.Tests.Support;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.Alerting.Tests.Notifications;

public sealed class DispatcherTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly ConcurrentDictionary<string, NotificationChannel> _channels = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new();
    private readonly TempDirectory _state = new("alerting-dispatcher");
    private WebhookReceiver _receiver = null!;
    private NotificationDispatcher _dispatcher = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _dispatcher = new NotificationDispatcher(
            [new WebhookSender(_http), new SlackSender(_http), new TeamsSender(_http), new DiscordSender(_http), new EmailSender(TimeSpan.FromSeconds(10))],
            id => _channels.GetValueOrDefault(id),
            new AlertingOptions { StateDirectory = _state.Path, RetryDelay = TimeSpan.FromMilliseconds(20), DeliveryAttempts = 4, DeliveryTimeout = TimeSpan.FromSeconds(5) },
            TimeProvider.System, NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await _dispatcher.DisposeAsync();
        await _receiver.DisposeAsync();
        _http.Dispose();
        _state.Dispose();
    }

    private void Channel(string id, ChannelType type, string path) =>
        _channels[id] = new NotificationChannel { Id = id, Name = id, Type = type, Url = _receiver.Url(path) };

    private static Notification Sample(params string[] channels) => new()
    {
        Id = "n-" + Guid.NewGuid().ToString("N")[..8],
        GroupKey = "cpu|host=web-1",
        RuleId = "cpu",
        RuleName = "HighCpu",
        Severity = AlertSeverity.Critical,
        Status = "firing",
        Reason = NotificationReason.Firing,
        At = DateTimeOffset.UtcNow,
        Channels = channels,
        Title = "[FIRING:1] HighCpu (web-1)",
        Text = "FIRING CPU on web-1 at 95 %",
        Alerts =
        [
            new NotifiedAlert
            {
                Fingerprint = "0011223344556677",
                State = AlertState.Firing,
                Labels = new Dictionary<string, string> { ["host"] = "web-1", ["alertname"] = "HighCpu" },
                Annotations = new Dictionary<string, string> { ["summary"] = "CPU on web-1 at 95 %" },
                Value = 0.95,
            },
        ],
    };

    [Fact]
    public async Task Webhook_PostsNotificationJson()
    {
        Channel("hook", ChannelType.Webhook, "/hook");
        _dispatcher.Dispatch(Sample("hook"));
        await Poll.UntilAsync(() => _receiver.BodiesOf("/hook").Any(), Deadline, "the webhook", TestContext.Current.CancellationToken);
        var body = _receiver.BodiesOf("/hook").Single();
        Assert.Equal("firing", (string?)body["status"]);
        Assert.Equal("HighCpu", (string?)body["ruleName"]);
        Assert.Equal("critical", (string?)body["severity"]);
        Assert.Equal("web-1", (string?)body["alerts"]![0]!["labels"]!["host"]);
        Assert.Equal(0.95, (double)body["alerts"]![0]!["value"]!);
    }

    [Fact]
    public async Task ChatChannels_PostTheirOwnFormats()
    {
        Channel("slack", ChannelType.Slack, "/slack");
        Channel("teams", ChannelType.Teams, "/teams");
        Channel("discord", ChannelType.Discord, "/discord");
        _dispatcher.Dispatch(Sample("slack", "teams", "discord"));
        await Poll.UntilAsync(() => _receiver.Requests.Count >= 3, Deadline, "three chat webhooks", TestContext.Current.CancellationToken);
        var slack = _receiver.BodiesOf("/slack").Single();
        Assert.Equal("[FIRING:1] HighCpu (web-1)", (string?)slack["text"]);
        Assert.Equal("#E01E5A", (string?)slack["attachments"]![0]!["color"]);
        var teams = _receiver.BodiesOf("/teams").Single();
        Assert.Equal("message", (string?)teams["type"]);
        Assert.Equal("AdaptiveCard", (string?)teams["attachments"]![0]!["content"]!["type"]);
        var discord = _receiver.BodiesOf("/discord").Single();
        Assert.Equal("CPU on web-1 at 95 %", (string?)discord["embeds"]![0]!["description"]!.GetValue<string>()[7..]);
        Assert.Equal(0xE01E5A, (int)discord["embeds"]![0]!["color"]!);
    }

    [Fact]
    public async Task Delivery_RetriesWithBackoff_UntilAccepted_AndLogsEveryAttempt()
    {
        Channel("flaky", ChannelType.Webhook, "/flaky");
        _receiver.Script("/flaky", 500, 503);
        _dispatcher.Dispatch(Sample("flaky"));
        await Poll.UntilAsync(() => _dispatcher.Log.Of("flaky").Any(r => r.Final), Deadline, "the final delivery", TestContext.Current.CancellationToken);
        var log = _dispatcher.Log.Of("flaky");
        Assert.Equal([1, 2, 3], log.Select(r => r.Attempt));
        Assert.Equal([false, false, true], log.Select(r => r.Success));
        Assert.Equal("HTTP 500 Internal Server Error", log[0].Error);
        Assert.Equal("HTTP 200", log[2].Status);
    }

    [Fact]
    public async Task Delivery_RetryDelay_DoublesPerAttempt()
    {
        await using var dispatcher = new NotificationDispatcher(
            [new WebhookSender(_http)], id => _channels.GetValueOrDefault(id),
            new AlertingOptions { StateDirectory = string.Empty, RetryDelay = TimeSpan.FromMilliseconds(150), DeliveryAttempts = 4, DeliveryTimeout = TimeSpan.FromSeconds(5) },
            TimeProvider.System, NullLogger.Instance);
        Channel("backoff", ChannelType.Webhook, "/backoff");
        _receiver.Script("/backoff", 500, 500, 500);
        dispatcher.Dispatch(Sample("backoff"));
        await Poll.UntilAsync(() => dispatcher.Log.Of("backoff").Any(r => r.Final), Deadline, "the final delivery", TestContext.Current.CancellationToken);
        var arrivals = _receiver.Requests.Where(r => r.Path == "/backoff").Select(r => r.ArrivedTicks).ToList();
        Assert.Equal(4, arrivals.Count);
        var gaps = arrivals.Zip(arrivals.Skip(1), (a, b) => System.Diagnostics.Stopwatch.GetElapsedTime(a, b).TotalMilliseconds).ToList();
        // A delay never ends early, so each gap is at least its delay (150, 300, 600 ms, less a timer tick); load only
        // lengthens them. Without the doubling the last gap could be as short as the first.
        Assert.True(gaps[0] >= 135, $"gaps {string.Join(", ", gaps)}");
        Assert.True(gaps[1] >= 285, $"gaps {string.Join(", ", gaps)}");
        Assert.True(gaps[2] >= 585, $"gaps {string.Join(", ", gaps)}");
    }

    [Fact]
    public async Task FullQueue_DropsTheOldest_AndLogsEveryDrop()
    {
        _receiver.SlowDelay = TimeSpan.FromMinutes(3);
        await using var dispatcher = new NotificationDispatcher(
            [new WebhookSender(_http)], id => _channels.GetValueOrDefault(id),
            new AlertingOptions { StateDirectory = string.Empty, DeliveryAttempts = 1, DeliveryTimeout = TimeSpan.FromMinutes(2) },
            TimeProvider.System, NullLogger.Instance);
        Channel("slow", ChannelType.Webhook, "/slow-queue");
        var sent = new List<Notification>();
        for (var i = 0; i < 1010; i++)
        {
            var n = Sample("slow");
            sent.Add(n);
            dispatcher.Dispatch(n);
        }

        // One is being delivered (stuck), 1,000 wait: at least nine were dropped, oldest first.
        Assert.InRange(dispatcher.Dropped, 9, 10);
        var dropped = dispatcher.Log.Of("slow");
        Assert.Equal(dispatcher.Dropped, dropped.Count);
        Assert.All(dropped, r => Assert.True(r is { Success: false, Final: true, Attempt: 0 }));
        Assert.StartsWith("dropped: the channel's queue was full", dropped[0].Error, StringComparison.Ordinal);
        // Oldest first: whether or not the worker had taken the first one off the queue before it filled,
        // every dropped notification is among the first eleven sent, and the newest ones all wait.
        var oldest = sent.Take(11).Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        Assert.All(dropped, r => Assert.Contains(r.NotificationId, oldest));
        Assert.DoesNotContain(dropped, r => sent.Skip(11).Any(n => n.Id == r.NotificationId));
    }

    [Fact]
    public async Task Outbox_ResumesAfterARestart_WhatWasStillRetrying()
    {
        using var state = new TempDirectory("alerting-outbox");
        var options = new AlertingOptions { StateDirectory = state.Path, RetryDelay = TimeSpan.FromMilliseconds(50), MaxRetryDelay = TimeSpan.FromMilliseconds(100), DeliveryAttempts = 1000 };
        Channel("later", ChannelType.Webhook, "/later");
        _receiver.Script("/later", [.. Enumerable.Repeat(503, 10_000)]);
        var notification = Sample("later");
        var first = new NotificationDispatcher([new WebhookSender(_http)], id => _channels.GetValueOrDefault(id), options, TimeProvider.System, NullLogger.Instance);
        first.Dispatch(notification);
        await Poll.UntilAsync(() => first.Log.Of("later").Count >= 2, Deadline, "two failed attempts", TestContext.Current.CancellationToken);
        await first.DisposeAsync(); // stops mid-retry
        Assert.Single(Directory.GetFiles(Path.Combine(state.Path, "outbox"), "*.json"));

        _receiver.Script("/later"); // the receiver is back
        var before = _receiver.BodiesOf("/later").Count();
        await using var second = new NotificationDispatcher([new WebhookSender(_http)], id => _channels.GetValueOrDefault(id), options, TimeProvider.System, NullLogger.Instance);
        Assert.Equal(1, second.ReplayOutbox());
        await Poll.UntilAsync(() => second.Log.Of("later").Any(r => r.Success), Deadline, "the delivery after the restart", TestContext.Current.CancellationToken);
        Assert.Equal(before + 1, _receiver.BodiesOf("/later").Count());
        Assert.Equal(notification.Id, (string?)_receiver.BodiesOf("/later").Last()["id"]);
        Assert.Equal(0, second.Outbox.Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(state.Path, "outbox"), "*.json"));
    }

    [Fact]
    public async Task Outbox_ForgetsANotification_OnceFinalOnEveryChannel()
    {
        Channel("a", ChannelType.Webhook, "/final-a");
        Channel("b", ChannelType.Webhook, "/final-b");
        _receiver.Script("/final-b", 404); // not retryable: final at once
        _dispatcher.Dispatch(Sample("a", "b"));
        await Poll.UntilAsync(() => _dispatcher.Outbox.Count == 0, Deadline, "the outbox emptied", TestContext.Current.CancellationToken);
        Assert.Empty(Directory.GetFiles(Path.Combine(_state.Path, "outbox"), "*.json"));
        await using var restarted = new NotificationDispatcher([], _ => null, new AlertingOptions { StateDirectory = _state.Path }, TimeProvider.System, NullLogger.Instance);
        Assert.Equal(0, restarted.ReplayOutbox());
    }

    [Fact]
    public async Task Delivery_StopsAtOnce_OnClientError()
    {
        Channel("gone", ChannelType.Webhook, "/gone");
        _receiver.Script("/gone", 404, 404, 404);
        _dispatcher.Dispatch(Sample("gone"));
        await Poll.UntilAsync(() => _dispatcher.Log.Of("gone").Any(r => r.Final), Deadline, "the final delivery", TestContext.Current.CancellationToken);
        var record = Assert.Single(_dispatcher.Log.Of("gone"));
        Assert.False(record.Success);
    }

    [Fact]
    public async Task Delivery_GivesUp_AfterMaxAttempts_WhenChannelIsDown()
    {
        _channels["down"] = new NotificationChannel { Id = "down", Name = "down", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1:1/nothing") };
        _dispatcher.Dispatch(Sample("down"));
        await Poll.UntilAsync(() => _dispatcher.Log.Of("down").Any(r => r.Final), Deadline, "the final delivery", TestContext.Current.CancellationToken);
        Assert.Equal(4, _dispatcher.Log.Of("down").Count);
        Assert.All(_dispatcher.Log.Of("down"), r => Assert.False(r.Success));
    }

    [Fact]
    public async Task SlowChannel_DoesNotDelayOtherChannels()
    {
        // The slow channel's first attempt outlasts the test: it neither times out nor answers while the fast channel
        // delivers, however long a loaded machine takes for that (with the 5 s attempt timeout of the other tests, a
        // retry would reach the slow channel a second time).
        _receiver.SlowDelay = TimeSpan.FromMinutes(3);
        await using var dispatcher = new NotificationDispatcher(
            [new WebhookSender(_http)], id => _channels.GetValueOrDefault(id),
            new AlertingOptions { StateDirectory = _state.Path, RetryDelay = TimeSpan.FromMilliseconds(20), DeliveryAttempts = 4, DeliveryTimeout = TimeSpan.FromMinutes(2) },
            TimeProvider.System, NullLogger.Instance);
        Channel("slow", ChannelType.Webhook, "/slow");
        Channel("fast", ChannelType.Webhook, "/fast");
        for (var i = 0; i < 5; i++)
        {
            dispatcher.Dispatch(Sample("slow", "fast"));
        }

        await Poll.UntilAsync(() => _receiver.BodiesOf("/fast").Count() == 5, Deadline, "five notifications on the fast channel", TestContext.Current.CancellationToken);
        Assert.Single(_receiver.BodiesOf("/slow")); // still stuck in its first delivery
        Assert.Empty(dispatcher.Log.Of("slow"));
    }

    [Fact]
    public async Task Email_IsDeliveredOverSmtp()
    {
        await using var smtp = new SmtpSink();
        _channels["mail"] = new NotificationChannel
        {
            Id = "mail",
            Name = "mail",
            Type = ChannelType.Email,
            Email = new EmailSettings { SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, From = "alerts@example.com", To = ["ops@example.com"] },
        };
        _dispatcher.Dispatch(Sample("mail"));
        await Poll.UntilAsync(() => !smtp.Messages.IsEmpty, Deadline, "the email", TestContext.Current.CancellationToken);
        smtp.Messages.TryPeek(out var message);
        Assert.Equal("[FIRING:1] HighCpu (web-1)", message!.Subject);
        Assert.Equal("ops@example.com", message.To.Mailboxes.Single().Address);
        Assert.Contains("CPU on web-1 at 95 %", message.TextBody, StringComparison.Ordinal);
        await Poll.UntilAsync(() => _dispatcher.Log.Of("mail").Any(), Deadline, "the delivery record", TestContext.Current.CancellationToken);
        Assert.True(_dispatcher.Log.Of("mail").Single().Success);
    }

    [Fact]
    public async Task SendTest_ReportsSuccessAndFailure()
    {
        Channel("hook", ChannelType.Webhook, "/test-ok");
        var ok = await _dispatcher.SendTestAsync(_channels["hook"], "alice", TestContext.Current.CancellationToken);
        Assert.True(ok.Success);
        Assert.Equal("test", (string?)_receiver.BodiesOf("/test-ok").Single()["reason"]);

        _receiver.Script("/test-bad", 500);
        Channel("bad", ChannelType.Webhook, "/test-bad");
        var bad = await _dispatcher.SendTestAsync(_channels["bad"], "alice", TestContext.Current.CancellationToken);
        Assert.False(bad.Success);
        Assert.True(bad.Final);
        Assert.Contains("500", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeliveryLog_SurvivesARestart()
    {
        Channel("hook", ChannelType.Webhook, "/persisted");
        _dispatcher.Dispatch(Sample("hook"));
        await Poll.UntilAsync(() => _dispatcher.Log.Of("hook").Any(), Deadline, "the delivery");
        var reloaded = new DeliveryLog(Path.Combine(_state.Path, "deliveries"));
        var record = Assert.Single(reloaded.Of("hook"));
        Assert.True(record.Success);
        Assert.Equal("[FIRING:1] HighCpu (web-1)", record.Title);
    }
}
