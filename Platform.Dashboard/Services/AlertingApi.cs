using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components.Authorization;
using Platform.Telemetry.Alerts;

namespace Platform.Dashboard.Services;

/// <summary>The outcome of a call to the alerting API: success, or the problem's title and its errors per field.</summary>
public sealed record ApiResult(bool Ok, string? Title = null, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    public static ApiResult Success { get; } = new(true);

    /// <summary>The messages for one field (e.g. <c>metric.threshold</c>), empty when it has none.</summary>
    public IReadOnlyList<string> For(string field) =>
        Errors is not null && Errors.TryGetValue(field, out var messages) ? messages : [];

    /// <summary>Every message, "field: message", for a summary line.</summary>
    public string Summary => Errors is null || Errors.Count == 0
        ? Title ?? string.Empty
        : string.Join("; ", Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")));
}

/// <summary>
/// Calls the alerting REST API (<c>/api/</c>) the dashboard's actions go through, so the UI and the API agree, at
/// <see cref="DashboardOptions.AlertingUrl"/> (the all-in-one sets it to its own loopback address). An action never
/// throws for the API being unreachable, slow or not configured: it answers a failed <see cref="ApiResult"/> whose title
/// says which; the lists throw <see cref="HttpRequestException"/> with that message, which the pages show.
/// </summary>
public sealed class AlertingApi(IHttpClientFactory clients, DashboardOptions options, IServiceProvider services)
{
    /// <summary>What the pages say, and the actions answer, when no alerting API is configured.</summary>
    public const string NotConfiguredMessage = "No alerting API configured: start the dashboard with --alerting-url URL (or set Dashboard:AlertingUrl). The alerts, rules and channels are shown read-only.";

    /// <summary>What the pages say, and the actions answer, with security on and alerting in another process.</summary>
    public const string TicketCannotReachMessage = "Security is on and alerting runs in another process: the dashboard cannot act there on your behalf (its sign-in ticket is valid only in this process). The alerts, rules and channels are shown read-only; use alerting's REST API with your credentials, or the all-in-one.";

    /// <summary>
    /// Whether the dashboard can call an alerting API; when not (none configured, or security on with alerting in
    /// another process) the operating pages are read-only and show <see cref="UnavailableMessage"/>.
    /// </summary>
    public bool Configured => !string.IsNullOrWhiteSpace(options.AlertingUrl) && !TicketCannotReach;

    /// <summary>Why the operating pages are read-only (meaningful when <see cref="Configured"/> is false).</summary>
    public string UnavailableMessage => TicketCannotReach ? TicketCannotReachMessage : NotConfiguredMessage;

    private bool TicketCannotReach => !options.AlertingInProcess && services.GetService<Security.SecurityState>() is { Enabled: true };

    private HttpClient Client(TimeSpan timeout)
    {
        var client = clients.CreateClient(nameof(AlertingApi));
        client.BaseAddress = new Uri(options.AlertingUrl!.EndsWith('/') ? options.AlertingUrl : options.AlertingUrl + "/");
        client.Timeout = timeout;
        // With security on, the call carries the signed-in user's ticket so the API applies that user's role.
        if (services.GetService<Security.ApiTicket>() is { } tickets
            && services.GetService<AuthenticationStateProvider>()?.GetAuthenticationStateAsync() is { IsCompletedSuccessfully: true } state
            && tickets.Issue(state.Result.User) is { } ticket)
        {
            client.DefaultRequestHeaders.Add(Security.ApiTicket.Header, ticket);
        }

        return client;
    }

    /// <summary>Sends one action and reads its answer; an unreachable, slow or missing API becomes a failed result.</summary>
    private Task<ApiResult> CallAsync(Func<HttpClient, CancellationToken, Task<HttpResponseMessage>> send, CancellationToken cancellationToken) =>
        CallAsync(
            options.AlertingTimeout,
            async (client, ct) =>
            {
                using var response = await send(client, ct);
                return await ResultAsync(response, ct);
            },
            failure => failure,
            cancellationToken);

    /// <summary>
    /// Makes one call with <paramref name="timeout"/>; when no API is configured, or it is unreachable, slow or answers
    /// something unreadable, answers <paramref name="failed"/> of the failed result saying which.
    /// </summary>
    private async Task<T> CallAsync<T>(TimeSpan timeout, Func<HttpClient, CancellationToken, Task<T>> call, Func<ApiResult, T> failed, CancellationToken cancellationToken)
    {
        if (!Configured)
        {
            return failed(new ApiResult(false, UnavailableMessage));
        }

        try
        {
            return await call(Client(timeout), cancellationToken);
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken))
        {
            return failed(new ApiResult(false, Describe(ex, timeout)));
        }
    }

    /// <summary>Reads a list; an unreachable, slow or missing API throws <see cref="HttpRequestException"/> saying which.</summary>
    private async Task<T> GetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        if (!Configured)
        {
            throw new HttpRequestException(UnavailableMessage);
        }

        try
        {
            return await Client(options.AlertingTimeout).GetFromJsonAsync(path, type, cancellationToken)
                ?? throw new HttpRequestException($"The alerting API answered nothing for {path}.");
        }
        catch (Exception ex) when (ex is not HttpRequestException && IsTransport(ex, cancellationToken))
        {
            throw new HttpRequestException(Describe(ex, options.AlertingTimeout), ex);
        }
    }

    private static bool IsTransport(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or JsonException or NotSupportedException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private string Describe(Exception ex, TimeSpan timeout) => ex switch
    {
        OperationCanceledException => $"The alerting API at {options.AlertingUrl} did not answer within {timeout.TotalSeconds:0} s.",
        HttpRequestException => $"The alerting API at {options.AlertingUrl} is unreachable: {ex.Message}",
        _ => $"The alerting API at {options.AlertingUrl} answered something unreadable: {ex.Message}",
    };

    public Task<ApiResult> AcknowledgeAsync(string fingerprint, string by, string? comment, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["by"] = by, ["comment"] = comment };
        return CallAsync((c, ct) => c.PostAsJsonAsync($"api/alerts/{Uri.EscapeDataString(fingerprint)}/ack", body, ct), cancellationToken);
    }

    public Task<ApiResult> SilenceAsync(Silence silence, CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.PostAsJsonAsync("api/silences", silence, AlertCodec.Json.Silence, ct), cancellationToken);

    /// <summary>Edits a silence or maintenance window (PUT on its id; the newest record on the topic wins).</summary>
    public Task<ApiResult> UpdateSilenceAsync(Silence silence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(silence);
        return CallAsync((c, ct) => c.PutAsJsonAsync($"api/silences/{Uri.EscapeDataString(silence.Id)}", silence, AlertCodec.Json.Silence, ct), cancellationToken);
    }

    /// <exception cref="HttpRequestException">The API is unreachable, slow or not configured.</exception>
    public async Task<IReadOnlyList<Silence>> SilencesAsync(CancellationToken cancellationToken = default) =>
        await GetAsync("api/silences", AlertCodec.Json.ListSilence, cancellationToken);

    public Task<ApiResult> ExpireSilenceAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.DeleteAsync($"api/silences/{Uri.EscapeDataString(id)}", ct), cancellationToken);

    /// <summary>Creates (POST) or replaces (PUT) a rule; a bad rule comes back with its errors per field.</summary>
    public async Task<ApiResult> SaveRuleAsync(AlertRule rule, bool create, CancellationToken cancellationToken = default) =>
        (await SaveRuleReturningAsync(rule, create, cancellationToken)).Result;

    /// <summary>Creates or replaces a rule and answers the rule as the API stored it (stamped with its version and
    /// time), so a caller can show exactly that rather than its own copy.</summary>
    public Task<(ApiResult Result, AlertRule? Saved)> SaveRuleReturningAsync(AlertRule rule, bool create, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return CallAsync(
            options.AlertingTimeout,
            async (c, ct) =>
            {
                using var response = create
                    ? await c.PostAsJsonAsync("api/rules", rule, AlertCodec.Json.AlertRule, ct)
                    : await c.PutAsJsonAsync($"api/rules/{Uri.EscapeDataString(rule.Id)}", rule, AlertCodec.Json.AlertRule, ct);
                var result = await ResultAsync(response, ct);
                AlertRule? saved = null;
                if (result.Ok && response.Content.Headers.ContentLength != 0)
                {
                    await response.Content.LoadIntoBufferAsync(ct);
                    try
                    {
                        saved = await response.Content.ReadFromJsonAsync(AlertCodec.Json.AlertRule, ct);
                    }
                    catch (JsonException)
                    {
                        // Not a rule: the caller waits for the topic instead.
                    }
                }

                return (result, saved);
            },
            failure => (failure, null),
            cancellationToken);
    }

    public Task<ApiResult> DeleteRuleAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.DeleteAsync($"api/rules/{Uri.EscapeDataString(id)}", ct), cancellationToken);

    /// <summary>
    /// Alert records from alerting's history (<c>GET /api/alerts/history</c>), newest first, filtered as the query says;
    /// null with the reason when the API cannot answer (unreachable, slow, not configured, or without that endpoint).
    /// </summary>
    public async Task<(IReadOnlyList<AlertTransition>? Records, string? Error)> AlertHistoryAsync(AlertHistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        try
        {
            return (await GetAsync(query.ToPath(), AlertCodec.Json.ListAlertTransition, cancellationToken), null);
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.StatusCode is { } status ? $"the history API answered {(int)status} {status}" : ex.Message);
        }
    }

    /// <summary>The channels as the API lists them (email passwords redacted; the page masks the other secrets).</summary>
    /// <exception cref="HttpRequestException">The API is unreachable, slow or not configured.</exception>
    public async Task<IReadOnlyList<NotificationChannel>> ChannelsAsync(CancellationToken cancellationToken = default) =>
        await GetAsync("api/channels", AlertCodec.Json.ListNotificationChannel, cancellationToken);

    public Task<ApiResult> SaveChannelAsync(NotificationChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return CallAsync((c, ct) => c.PutAsJsonAsync($"api/channels/{Uri.EscapeDataString(channel.Id)}", channel, AlertCodec.Json.NotificationChannel, ct), cancellationToken);
    }

    public Task<ApiResult> DeleteChannelAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.DeleteAsync($"api/channels/{Uri.EscapeDataString(id)}", ct), cancellationToken);

    /// <summary>Sends a test notification now; the delivery record says how it went (also when it failed).</summary>
    public Task<(ApiResult Result, Platform.Alerting.Notifications.DeliveryRecord? Delivery)> TestChannelAsync(string id, string by, CancellationToken cancellationToken = default) =>
        CallAsync<(ApiResult, Platform.Alerting.Notifications.DeliveryRecord?)>(
            options.AlertingTimeout,
            async (c, ct) =>
            {
                using var response = await c.PostAsync($"api/channels/{Uri.EscapeDataString(id)}/test?by={Uri.EscapeDataString(by)}", null, ct);
                if (response.IsSuccessStatusCode || response.StatusCode == System.Net.HttpStatusCode.BadGateway)
                {
                    var record = await response.Content.ReadFromJsonAsync<Platform.Alerting.Notifications.DeliveryRecord>(JsonSerializerOptions.Web, ct);
                    return (response.IsSuccessStatusCode ? ApiResult.Success : new ApiResult(false, record?.Error ?? "delivery failed"), record);
                }

                return (await ResultAsync(response, ct), null);
            },
            failure => (failure, null),
            cancellationToken);

    /// <exception cref="HttpRequestException">The API is unreachable, slow or not configured.</exception>
    public async Task<IReadOnlyList<Platform.Alerting.Notifications.DeliveryRecord>> DeliveriesAsync(string id, CancellationToken cancellationToken = default) =>
        await GetAsync($"api/channels/{Uri.EscapeDataString(id)}/deliveries", DeliveryList, cancellationToken);

    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<List<Platform.Alerting.Notifications.DeliveryRecord>> DeliveryList =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<List<Platform.Alerting.Notifications.DeliveryRecord>>)JsonSerializerOptions.Web.GetTypeInfo(typeof(List<Platform.Alerting.Notifications.DeliveryRecord>));

    /// <summary>Replays the last <paramref name="span"/> of metrics through the rule: when it would have fired.</summary>
    public Task<(ApiResult Result, IReadOnlyList<DateTimeOffset> FiredAt)> BacktestAsync(AlertRule rule, TimeSpan span, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var now = DateTimeOffset.UtcNow;
        var body = new JsonObject
        {
            ["rule"] = JsonSerializer.SerializeToNode(rule, AlertCodec.Json.AlertRule),
            ["from"] = now - span,
            ["to"] = now,
        };

        // The backtester may take its whole budget on a long range: the call waits longer than an action does.
        return CallAsync<(ApiResult, IReadOnlyList<DateTimeOffset>)>(
            options.BacktestTimeout,
            async (c, ct) =>
            {
                using var response = await c.PostAsJsonAsync("api/rules/backtest", body, ct);
                var result = await ResultAsync(response, ct);
                if (!result.Ok)
                {
                    return (result, []);
                }

                var node = await response.Content.ReadFromJsonAsync<JsonNode>(ct);
                var fired = new List<DateTimeOffset>();
                Collect(node, fired);
                return (result, fired.Order().ToList());
            },
            failure => (failure, []),
            cancellationToken);
    }

    // The backtest answers with episodes per series; every "firedAt" in it is one time the rule would have fired.
    private static void Collect(JsonNode? node, List<DateTimeOffset> fired)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "firedAt" && value is JsonValue v && v.TryGetValue<DateTimeOffset>(out var at))
                    {
                        fired.Add(at);
                    }
                    else
                    {
                        Collect(value, fired);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Collect(item, fired);
                }

                break;
        }
    }

    private static async Task<ApiResult> ResultAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return ApiResult.Success;
        }

        string? title = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        Dictionary<string, string[]>? errors = null;
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken);
            title = problem?["title"]?.GetValue<string>() ?? title;
            if (problem?["detail"]?.GetValue<string>() is { } detail)
            {
                title += ": " + detail;
            }

            if (problem?["errors"] is JsonObject fields)
            {
                errors = fields.ToDictionary(f => f.Key, f => f.Value is JsonArray a ? a.Select(m => m?.GetValue<string>() ?? string.Empty).ToArray() : [f.Value?.ToString() ?? string.Empty], StringComparer.Ordinal);
            }
        }
        catch (JsonException)
        {
            // Not a problem document: the status line says enough.
        }

        return new ApiResult(false, title, errors);
    }
}
