using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications.Email;

/// <summary>Email over SMTP with MailKit: a plain-text message per notification.</summary>
internal sealed class EmailSender(TimeSpan timeout) : INotificationSender
{
    public ChannelType Type => ChannelType.Email;

    public async Task<string> SendAsync(NotificationChannel channel, Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(notification);
        var settings = channel.Email ?? throw new DeliveryException($"channel {channel.Id} has no email settings", retryable: false);
        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From));
        foreach (var to in settings.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        message.Subject = notification.Title;
        message.Headers.Add("X-Alert-Group", notification.GroupKey);
        var body = notification.Text + "\n\n" + string.Join('\n', notification.Alerts.Select(a =>
            $"{a.State} {string.Join(", ", a.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value))}"));
        message.Body = new TextPart("plain") { Text = body };

        using var smtp = new SmtpClient { Timeout = (int)timeout.TotalMilliseconds };
        var security = settings.Security switch
        {
            SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        };
        await smtp.ConnectAsync(settings.SmtpHost, settings.SmtpPort, security, cancellationToken);
        if (!string.IsNullOrEmpty(settings.Username))
        {
            await smtp.AuthenticateAsync(settings.Username, settings.Password ?? string.Empty, cancellationToken);
        }

        var reply = await smtp.SendAsync(message, cancellationToken);
        await smtp.DisconnectAsync(quit: true, cancellationToken);
        return "SMTP " + reply;
    }
}
