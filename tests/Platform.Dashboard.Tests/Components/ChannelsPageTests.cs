using Bunit;
using Platform.Dashboard.Components.Pages.Channels;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Tests.Components;

public class ChannelsPageTests : DashboardTestContext
{
    public ChannelsPageTests()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        Model.Options.AlertingUrl = "http://127.0.0.1:9/";
    }

    [Fact]
    public void Masked_HidesTheWebhookPath_AndTheEmailPassword()
    {
        var slack = new NotificationChannel { Id = "s", Name = "S", Type = ChannelType.Slack, Url = new Uri("https://hooks.slack.com/services/T000/B000/SECRET") };
        Assert.Equal("https://hooks.slack.com/••••••", ChannelsPage.Masked(slack));
        var mail = new NotificationChannel
        {
            Id = "m", Name = "M", Type = ChannelType.Email,
            Email = new EmailSettings { SmtpHost = "smtp.example.com", SmtpPort = 587, Password = "hunter2", From = "a@example.com", To = ["ops@example.com"] },
        };
        var masked = ChannelsPage.Masked(mail);
        Assert.DoesNotContain("hunter2", masked, StringComparison.Ordinal);
        Assert.Contains("(password set)", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SendsTheMasksBack_WhenSecretsAreLeftAsShown_AndOnlyNewValuesReplaceThem()
    {
        // What the API returns: the URL, header values and password masked.
        var original = new NotificationChannel
        {
            Id = "s", Name = "S", Type = ChannelType.Webhook, Url = new Uri("https://hooks.example.com/•••"),
            Headers = new Dictionary<string, string> { ["Authorization"] = "•••" },
        };
        var (channel, errors) = ChannelsPage.Build(new ChannelsPage.ChannelForm
        {
            Original = original, Id = "s", Name = "S2", Type = ChannelType.Webhook, Headers = "Authorization: •••\nX-Team: ops",
        });
        Assert.Null(errors);
        Assert.Equal(original.Url, channel!.Url); // the mask: alerting keeps the stored URL
        Assert.Equal("•••", channel.Headers["Authorization"]);
        Assert.Equal("ops", channel.Headers["X-Team"]);
        Assert.Equal("S2", channel.Name);

        var (_, bad) = ChannelsPage.Build(new ChannelsPage.ChannelForm { Create = true, Id = "w", Name = "W", Type = ChannelType.Webhook, Url = "ftp://x" });
        Assert.Equal(["not an http(s) URL"], bad!.For("url"));
        var (_, header) = ChannelsPage.Build(new ChannelsPage.ChannelForm { Create = true, Id = "w", Name = "W", Type = ChannelType.Webhook, Url = "http://x/y", Headers = "no colon" });
        Assert.Equal(["'no colon' is not 'Name: value'"], header!.For("headers"));

        // A blank password keeps the stored one (null: omitted), "remove" clears it, a new one replaces it.
        var mail = new ChannelsPage.ChannelForm { Id = "m", Name = "M", Type = ChannelType.Email, HadPassword = true, SmtpHost = "h", From = "a@b", To = "c@d" };
        Assert.Null(ChannelsPage.Build(mail).Channel!.Email!.Password);
        mail.RemovePassword = true;
        Assert.Equal(string.Empty, ChannelsPage.Build(mail).Channel!.Email!.Password);
        mail.Password = "new-secret";
        Assert.Equal("new-secret", ChannelsPage.Build(mail).Channel!.Email!.Password);
    }

    [Fact]
    public void Masked_ShowsHowManyHeadersAreSet_WithoutTheirValues()
    {
        var hook = new NotificationChannel
        {
            Id = "h", Name = "H", Type = ChannelType.Webhook, Url = new Uri("http://127.0.0.1:8080/•••"),
            Headers = new Dictionary<string, string> { ["Authorization"] = "•••" },
        };
        Assert.Equal("http://127.0.0.1:8080/•••••• + 1 header", ChannelsPage.Masked(hook));
    }

    [Fact]
    public void ChannelsPage_UrlFieldIsAPasswordInput_AndMissingUrlIsAFieldError()
    {
        var page = Render<ChannelsPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=channels-error]")));
        ClickOn(page, "[data-testid=new-channel]");
        Assert.Equal("password", InputOf(page, "channel-url").GetAttribute("type"));
        TypeInto(page, "channel-id", "w");
        ClickOn(page, "[data-testid=save-channel]");
        page.WaitForAssertion(() => Assert.Contains("a webhook URL is required", page.Find("[data-testid=channel-form]").TextContent, StringComparison.Ordinal));
    }
}
