using Platform.Alerting.Notifications;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Tests.Notifications;

/// <summary>A stored secret kept through its mask goes only to the host it was entered for.</summary>
public class ChannelSecretsHostChangeTests
{
    private static readonly NotificationChannel Hook = new()
    {
        Id = "hook", Name = "Hook", Type = ChannelType.Webhook, Url = new Uri("https://hooks.example/T1/SECRET"),
        Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer token" },
    };

    private static readonly NotificationChannel Mail = new()
    {
        Id = "mail", Name = "Mail", Type = ChannelType.Email,
        Email = new EmailSettings { SmtpHost = "smtp.example", Username = "u", Password = "hunter2", From = "a@example.com", To = ["b@example.com"] },
    };

    [Fact]
    public void KeepStored_SameHost_KeepsTheMaskedSecrets()
    {
        var masked = ChannelSecrets.Masked(Hook);

        var (channel, errors) = ChannelSecrets.KeepStored(masked with { Name = "Renamed", Url = new Uri("https://hooks.example/other/path") }, Hook, headersGiven: true);

        Assert.Empty(errors);
        Assert.Equal("Bearer token", channel.Headers["Authorization"]);
    }

    [Fact]
    public void KeepStored_NewUrlHost_WithAMaskedHeader_IsRefused()
    {
        var masked = ChannelSecrets.Masked(Hook);

        var (_, errors) = ChannelSecrets.KeepStored(masked with { Url = new Uri("https://attacker.example/collect") }, Hook, headersGiven: true);

        Assert.Equal(ChannelSecrets.HostChanged, Assert.Single(errors["headers.Authorization"]));
    }

    [Fact]
    public void KeepStored_NewUrlHost_WithoutHeaders_WouldKeepThem_AndIsRefused()
    {
        var written = Hook with { Url = new Uri("https://attacker.example/collect"), Headers = new Dictionary<string, string>() };

        var (_, errors) = ChannelSecrets.KeepStored(written, Hook, headersGiven: false);

        Assert.Contains("headers", errors.Keys);
    }

    [Fact]
    public void KeepStored_NewUrlHost_WithNewHeaderValues_IsAccepted()
    {
        var written = Hook with { Url = new Uri("https://other.example/hook"), Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer new" } };

        var (channel, errors) = ChannelSecrets.KeepStored(written, Hook, headersGiven: true);

        Assert.Empty(errors);
        Assert.Equal("Bearer new", channel.Headers["Authorization"]);
    }

    [Fact]
    public void KeepStored_MaskedUrlOnAnotherHost_IsRefused()
    {
        var written = ChannelSecrets.Masked(Hook) with { Url = new Uri("https://attacker.example/" + ChannelSecrets.Mask) };

        var (_, errors) = ChannelSecrets.KeepStored(written, Hook, headersGiven: true);

        Assert.Contains("url", errors.Keys);
    }

    [Theory]
    [InlineData(ChannelSecrets.Mask)]
    [InlineData(null)]
    public void KeepStored_NewSmtpHost_WithTheStoredPassword_IsRefused(string? password)
    {
        var written = Mail with { Email = Mail.Email! with { SmtpHost = "smtp.attacker.example", Password = password } };

        var (_, errors) = ChannelSecrets.KeepStored(written, Mail, headersGiven: false);

        Assert.Equal(ChannelSecrets.HostChanged, Assert.Single(errors["email.password"]));
    }

    [Fact]
    public void KeepStored_SameSmtpHost_KeepsThePassword_AndANewHostWithANewPasswordIsAccepted()
    {
        var (kept, keptErrors) = ChannelSecrets.KeepStored(ChannelSecrets.Masked(Mail) with { Name = "Renamed" }, Mail, headersGiven: false);
        Assert.Empty(keptErrors);
        Assert.Equal("hunter2", kept.Email!.Password);

        var (moved, movedErrors) = ChannelSecrets.KeepStored(Mail with { Email = Mail.Email! with { SmtpHost = "smtp2.example", Password = "new-password" } }, Mail, headersGiven: false);
        Assert.Empty(movedErrors);
        Assert.Equal("new-password", moved.Email!.Password);
    }
}
