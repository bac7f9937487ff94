using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Alerting.Tests.Support;
using Platform.Telemetry.Alerts;
using Platform.TestKit;

namespace Platform.Alerting.Tests.Integration;

/// <summary>The channel API never hands a stored secret back, and writing a channel back with its masks keeps them.</summary>
public sealed class ChannelSecretsTests
{
    private const string Token = "Bearer s3cr3t-token";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task ChannelApi_NeverReturnsASecretInClear_AndAnEditWithoutItKeepsDeliveryWorking()
    {
        await using var cluster = await AlertingCluster.StartAsync(partitions: 1);
        await using var receiver = await WebhookReceiver.StartAsync();
        var alerting = await cluster.StartAlertingAsync("a");
        var hook = receiver.Url("/hook/T0001/XSECRETX");
        await alerting.PutChannelAsync(new NotificationChannel
        {
            Id = "hook", Name = "Hook", Type = ChannelType.Webhook, Url = hook,
            Headers = new Dictionary<string, string> { ["Authorization"] = Token },
        });
        await alerting.PutChannelAsync(new NotificationChannel
        {
            Id = "mail", Name = "Mail", Type = ChannelType.Email,
            Email = new EmailSettings { SmtpHost = "127.0.0.1", SmtpPort = 2525, Username = "u", Password = "hunter2", From = "a@example.com", To = ["b@example.com"] },
        });

        // No listing, single read or write answer carries a secret.
        var listed = await alerting.Http.GetStringAsync("/api/channels");
        var one = await alerting.Http.GetStringAsync("/api/channels/hook");
        foreach (var text in new[] { listed, one })
        {
            Assert.DoesNotContain("XSECRETX", text, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cr3t", text, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        }

        var masked = AlertCodec.DecodeChannel(Encoding.UTF8.GetBytes(one));
        Assert.Equal($"http://{hook.Authority}/•••", masked.Url!.ToString());
        Assert.Equal("•••", masked.Headers["Authorization"]);
        var mail = AlertCodec.DecodeChannel(Encoding.UTF8.GetBytes(await alerting.Http.GetStringAsync("/api/channels/mail")));
        Assert.Equal("•••", mail.Email!.Password);

        // Edit the name, sending back exactly what the API returned: the stored URL and header stay.
        using (var put = await alerting.Http.PutAsync("/api/channels/hook", new ByteArrayContent(AlertCodec.Encode(masked with { Name = "Renamed" }))
               { Headers = { ContentType = new("application/json") } }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.DoesNotContain("XSECRETX", await put.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        Assert.Equal(hook, alerting.Runtime.Channels.Items["hook"].Url);
        Assert.Equal("Renamed", alerting.Runtime.Channels.Items["hook"].Name);
        using (var test = await alerting.Http.PostAsync("/api/channels/hook/test", null))
        {
            Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        }

        await Poll.UntilAsync(() => receiver.Authorizations.Any(a => a.Path == "/hook/T0001/XSECRETX" && a.Authorization == Token), AlertingCluster.Deadline, "the test at the stored URL with the stored header");

        // A PATCH that omits the secrets keeps them; the password too.
        using (var patch = await alerting.Http.PatchAsync("/api/channels/mail", Json("""{ "name": "Mail 2", "email": { "smtpPort": 2526 } }""")))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        var stored = alerting.Runtime.Channels.Items["mail"];
        Assert.Equal(("Mail 2", 2526, "hunter2"), (stored.Name, stored.Email!.SmtpPort, stored.Email.Password));

        // Only a new value replaces a secret.
        var other = receiver.Url("/other/NEWSECRET");
        using (var patch = await alerting.Http.PatchAsync("/api/channels/hook", Json($$"""{ "url": "{{other}}", "headers": { "Authorization": "•••", "X-Team": "ops" } }""")))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
            var body = (await patch.Content.ReadFromJsonAsync<JsonNode>(TestContext.Current.CancellationToken))!;
            Assert.Equal("•••", (string?)body["headers"]!["X-Team"]);
        }

        Assert.Equal(other, alerting.Runtime.Channels.Items["hook"].Url);
        Assert.Equal(Token, alerting.Runtime.Channels.Items["hook"].Headers["Authorization"]);

        // A mask with nothing stored behind it is a field error.
        using var bad = await alerting.Http.PutAsync("/api/channels/fresh", Json("""{ "id": "fresh", "name": "F", "type": "slack", "url": "https://hooks.slack.com/•••" }"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await bad.Content.ReadFromJsonAsync<JsonNode>(TestContext.Current.CancellationToken))!["errors"]!["url"]);
    }
}
