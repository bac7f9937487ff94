using Platform.Telemetry.Alerts;

namespace Platform.Alerting.Notifications;

/// <summary>
/// The secrets of a channel never leave the API in clear: a webhook URL shows its scheme and host followed by
/// <c>/•••</c> (the path and query are the credential of Slack, Teams and Discord hooks), header values and the SMTP
/// password show as <see cref="Mask"/>. Written back, a masked value (or an omitted field) keeps the stored secret; only
/// a new value replaces it. A stored secret is never kept for another destination: when the URL's host or the SMTP host
/// changes, a masked or omitted header value or password is refused with a field error asking for it again, so that
/// nobody can send the stored credentials to a host of their own choosing without knowing them.
/// </summary>
public static class ChannelSecrets
{
    /// <summary>What a secret shows as.</summary>
    public const string Mask = "•••";

    /// <summary>The field error for a secret that would be kept while its destination changed.</summary>
    public const string HostChanged = "re-enter it: the host changed, and a stored secret is only sent to the host it was entered for";

    /// <summary>The channel as the API returns it.</summary>
    public static NotificationChannel Masked(NotificationChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel with
        {
            Url = channel.Url is { } url ? MaskedUrl(url) : null,
            Headers = channel.Headers.ToDictionary(h => h.Key, _ => Mask, StringComparer.OrdinalIgnoreCase),
            Email = channel.Email is { Password: { Length: > 0 } } email ? email with { Password = Mask } : channel.Email,
        };
    }

    /// <summary>Scheme and host (with a non-default port) and the mask: <c>https://hooks.slack.com/•••</c>.</summary>
    public static Uri MaskedUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.IsAbsoluteUri ? new Uri($"{url.Scheme}://{url.Authority}/{Mask}") : new Uri("/" + Mask, UriKind.Relative);
    }

    /// <summary>True for a URL whose whole path is the mask, as <see cref="MaskedUrl"/> writes it.</summary>
    public static bool IsMasked(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = url.IsAbsoluteUri ? Uri.UnescapeDataString(url.AbsolutePath) + url.Query : Uri.UnescapeDataString(url.OriginalString);
        return text == "/" + Mask;
    }

    /// <summary>
    /// The channel to store from one written through the API: a masked or missing URL, a masked header value, a masked
    /// or missing SMTP password take the stored value (an empty password removes it); headers keep the stored ones when
    /// the body has no <c>headers</c> field. Errors name the field whose mask has no stored secret behind it.
    /// </summary>
    public static (NotificationChannel Channel, Dictionary<string, string[]> Errors) KeepStored(NotificationChannel written, NotificationChannel? stored, bool headersGiven)
    {
        ArgumentNullException.ThrowIfNull(written);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var url = written.Url;
        if (written.Type != ChannelType.Email && (url is null || IsMasked(url)))
        {
            url = stored?.Url;
            if (url is null && written.Url is not null)
            {
                errors["url"] = ["the masked URL stands for a stored one, and this channel has none: enter the URL"];
            }
            else if (url is not null && written.Url is { IsAbsoluteUri: true } maskedUrl && url.IsAbsoluteUri
                && !SameHost(maskedUrl, url))
            {
                errors["url"] = ["enter the whole URL: the host changed, and the masked part stands for the stored URL's path on its own host"];
            }
        }

        // The stored headers go only where they went before.
        var hostChanged = url is not null && stored?.Url is { } storedUrl && !SameHost(url, storedUrl);

        IReadOnlyDictionary<string, string> headers;
        if (!headersGiven)
        {
            headers = stored?.Headers ?? new Dictionary<string, string>();
            if (hostChanged && headers.Count > 0)
            {
                errors["headers"] = [HostChanged];
            }
        }
        else
        {
            var kept = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in written.Headers)
            {
                if (value != Mask)
                {
                    kept[name] = value;
                }
                else if (stored?.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)) is { Key: not null } old)
                {
                    if (hostChanged)
                    {
                        errors[$"headers.{name}"] = [HostChanged];
                    }

                    kept[name] = old.Value;
                }
                else
                {
                    errors[$"headers.{name}"] = ["the masked value stands for a stored one, and this header has none: enter the value"];
                }
            }

            headers = kept;
        }

        var email = written.Email;
        if (email is not null)
        {
            var password = email.Password;
            if (password is null || password == Mask)
            {
                password = stored?.Email?.Password;
                if (password is null && email.Password == Mask)
                {
                    errors["email.password"] = ["the masked password stands for a stored one, and this channel has none: enter the password"];
                }
                else if (!string.IsNullOrEmpty(password) && !string.Equals(email.SmtpHost?.Trim(), stored?.Email?.SmtpHost?.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    errors["email.password"] = [HostChanged];
                }
            }

            email = email with { Password = string.IsNullOrEmpty(password) ? null : password };
        }

        return (written with { Url = url, Headers = headers, Email = email }, errors);
    }

    private static bool SameHost(Uri a, Uri b) =>
        a.IsAbsoluteUri && b.IsAbsoluteUri
            ? string.Equals(a.Authority, b.Authority, StringComparison.OrdinalIgnoreCase)
            : a.IsAbsoluteUri == b.IsAbsoluteUri;
}
