using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
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
/// Calls the alerting REST API (<c>/api/</c>) the dashboard's actions go through, so the UI and the API agree:
/// <see cref="DashboardOptions.AlertingUrl"/>, or this dashboard's own address when alerting runs in-process.
/// </summary>
public sealed class AlertingApi(IHttpClientFactory clients, NavigationManager navigation, DashboardOptions options, IServiceProvider services)
{
    private HttpClient Client()
    {
        var client = clients.CreateClient(nameof(AlertingApi));
        client.BaseAddress = new Uri(options.AlertingUrl ?? navigation.BaseUri);
        // With security on, the call carries the signed-in user's ticket so the API applies that user's role.
        if (services.GetService<Security.ApiTicket>() is { } tickets
            && services.GetService<AuthenticationStateProvider>()?.GetAuthenticationStateAsync() is { IsCompletedSuccessfully: true } state
            && tickets.Issue(state.Result.User) is { } ticket)
        {
            client.DefaultRequestHeaders.Add(Security.ApiTicket.Header, ticket);
        }

        return client;
    }

    public async Task<ApiResult> AcknowledgeAsync(string fingerprint, string by, string? comment, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["by"] = by, ["comment"] = comment };
        using var response = await Client().PostAsJsonAsync($"api/alerts/{Uri.EscapeDataString(fingerprint)}/ack", body, cancellationToken);
        return await ResultAsync(response, cancellationToken);
    }

    public async Task<ApiResult> SilenceAsync(Silence silence, CancellationToken cancellationToken = default)
    {
        using var response = await Client().PostAsJsonAsync("api/silences", silence, AlertCodec.Json.Silence, cancellationToken);
        return await ResultAsync(response, cancellationToken);
    }

    /// <summary>Edits a silence or maintenance window (PUT on its id; the newest record on the topic wins).</summary>
    public async Task<ApiResult> UpdateSilenceAsync(Silence silence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(silence);
        using var response = await Client().PutAsJsonAsync($"api/silences/{Uri.EscapeDataString(silence.Id)}", silence, AlertCodec.Json.Silence, cancellationToken);
        return await ResultAsync(response, cancellationToken);
    }

    public async Task<IReadOnlyList<Silence>> SilencesAsync(CancellationToken cancellationToken = default) =>
        await Client().GetFromJsonAsync("api/silences", AlertCodec.Json.ListSilence, cancellationToken) ?? [];

    public async Task<ApiResult> ExpireSilenceAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await Client().DeleteAsync($"api/silences/{Uri.EscapeDataString(id)}", cancellationToken);
        return await ResultAsync(response, cancellationToken);
    }

    /// <summary>Creates (POST) or replaces (PUT) a rule; a bad rule comes back with its errors per field.</summary>
    public async Task<ApiResult> SaveRuleAsync(AlertRule rule, bool create, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        using var response = create
            ? await Client().PostAsJsonAsync("api/rules", rule, AlertCodec.Json.AlertRule, cancellationToken)
            : await Client().PutAsJsonAsync($"api/rules/{Uri.EscapeDataString(rule.Id)}", rule, AlertCodec.Json.AlertRule, cancellationToken);
        return await ResultAsync(response, cancellationToken);
    }

    public async Task<ApiResult> DeleteRuleAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await Client().DeleteAsync($"api/rules/{Uri.EscapeDataString(id)}", cancellationToken);
        return await ResultAsync(response, cancellationToken);
    }

    /// <summary>The channels as the API lists them (email passwords redacted; the page masks the other secrets).</summary>
    public async Task<IReadOnlyList<NotificationChannel>> ChannelsAsync(CancellationToken cancellationToken = default) =>
        await Client().GetFromJsonAsync("api/channels", AlertCodec.Json.ListNotificationChannel, cancellationToken) ?? [];

    public async Task<ApiResult> SaveChannelAsync(NotificationChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        using var response = await Client().PutAsJsonAsync($"api/channels/{Uri.EscapeDataString(channel.Id)}", channel, AlertCodec.Json.NotificationChannel, cancellationToken);
        return await ResultAsync(response, cancellationToken);
    }

    public async Task<ApiResult> DeleteChannelAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await Client().DeleteAsync($"api/channels/{Uri.EscapeDataString(id)}", cancellationToken);
        return await ResultAsync(response, cancellationToken);
    }

    /// <summary>Sends a test notification now; the delivery record says how it went (also when it failed).</summary>
    public async Task<(ApiResult Result, Platform.Alerting.Notifications.DeliveryRecord? Delivery)> TestChannelAsync(string id, string by, CancellationToken cancellationToken = default)
    {
        using var response = await Client().PostAsync($"api/channels/{Uri.EscapeDataString(id)}/test?by={Uri.EscapeDataString(by)}", null, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode == System.Net.HttpStatusCode.BadGateway)
        {
            var record = await response.Content.ReadFromJsonAsync<Platform.Alerting.Notifications.DeliveryRecord>(JsonSerializerOptions.Web, cancellationToken);
            return (response.IsSuccessStatusCode ? ApiResult.Success : new ApiResult(false, record?.Error ?? "delivery failed"), record);
        }

        return (await ResultAsync(response, cancellationToken), null);
    }

    public async Task<IReadOnlyList<Platform.Alerting.Notifications.DeliveryRecord>> DeliveriesAsync(string id, CancellationToken cancellationToken = default) =>
        await Client().GetFromJsonAsync<List<Platform.Alerting.Notifications.DeliveryRecord>>($"api/channels/{Uri.EscapeDataString(id)}/deliveries", JsonSerializerOptions.Web, cancellationToken) ?? [];

    /// <summary>Replays the last <paramref name="span"/> of metrics through the rule: when it would have fired.</summary>
    public async Task<(ApiResult Result, IReadOnlyList<DateTimeOffset> FiredAt)> BacktestAsync(AlertRule rule, TimeSpan span, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var now = DateTimeOffset.UtcNow;
        var body = new JsonObject
        {
            ["rule"] = JsonSerializer.SerializeToNode(rule, AlertCodec.Json.AlertRule),
            ["from"] = now - span,
            ["to"] = now,
        };
        using var response = await Client().PostAsJsonAsync("api/rules/backtest", body, cancellationToken);
        var result = await ResultAsync(response, cancellationToken);
        if (!result.Ok)
        {
            return (result, []);
        }

        var node = await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken);
        var fired = new List<DateTimeOffset>();
        Collect(node, fired);
        return (result, fired.Order().ToList());
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
