using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Alerting.Notifications;
using Platform.Alerting.Rules;
using Platform.Alerting.Security;
using Platform.Alerting.Service;
using Platform.Telemetry.Alerts;

namespace Platform.Alerting;

/// <summary>Acknowledges a firing alert. <see cref="By"/> is required with security off; with security on the signed-in
/// user is recorded and <see cref="By"/> is ignored.</summary>
public sealed record AcknowledgeRequest(string? By, string? Comment);

/// <summary>What this alerting instance is doing.</summary>
public sealed record AlertingStatus(string Instance, string GroupId, string Bootstrap, bool Ready, IReadOnlyList<string> Partitions, long BatchesEvaluated);

/// <summary>An alert a silence matches.</summary>
public sealed record SilenceMatchedAlert(string Fingerprint, string RuleId, string RuleName, string? Host, AlertState State);

/// <summary>What a silence covers now: <see cref="Hosts"/> are the hosts with alerts on record whose id its <c>host</c>
/// matchers accept.</summary>
public sealed record SilenceMatches(string Id, bool Active, DateTimeOffset? NextStart, IReadOnlyList<SilenceMatchedAlert> Alerts, IReadOnlyList<string> Hosts);

public static class AlertingEndpointRouteBuilderExtensions
{
    /// <summary>The name of the OpenAPI document, served at <c>/api/openapi/alerting.json</c>.</summary>
    public const string OpenApiDocument = "alerting";

    /// <summary>Maps the alerting REST API under <c>/api/</c> (rules, alerts, silences, channels, backtest) and its
    /// OpenAPI document at <c>/api/openapi/alerting.json</c>.</summary>
    public static IEndpointRouteBuilder MapAlertingApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapOpenApi("/api/openapi/{documentName}.json").RequireAuthorization(PlatformPolicies.View);

        var api = endpoints.MapGroup("/api").WithGroupName(OpenApiDocument).AddEndpointFilter(async (context, next) =>
        {
            var runtime = context.HttpContext.RequestServices.GetRequiredService<AlertingRuntime>();
            try
            {
                await runtime.Ready.WaitAsync(TimeSpan.FromSeconds(10), context.HttpContext.RequestAborted);
            }
            catch (Exception e) when (e is TimeoutException || runtime.Ready.IsFaulted)
            {
                return Results.Problem(title: "Alerting is not ready", detail: e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return await next(context);
        });

        // Each endpoint's policy follows from its method and route (PolicyFor), in one place rather than per endpoint.
        ((IEndpointConventionBuilder)api).Add(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder route)
            {
                var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().FirstOrDefault()?.HttpMethods ?? [HttpMethods.Get];
                endpoint.Metadata.Add(new AuthorizeAttribute(PolicyFor(methods[0], route.RoutePattern.RawText ?? string.Empty)));
            }
        });
        MapRules(api);
        MapAlerts(api);
        MapSilences(api);
        MapChannels(api);
        api.MapGet("/alerting/status", (AlertingRuntime runtime, AlertingService service) => Results.Ok(new AlertingStatus(
                runtime.Instance, runtime.Options.GroupId, runtime.Options.Bootstrap, runtime.Ready.IsCompletedSuccessfully,
                [.. service.Assignment.Select(p => $"{p.Topic}[{p.Partition.Value}]")], service.BatchesEvaluated)))
            .WithTags("Status").WithSummary("This instance: id, group, assigned partitions");
        return endpoints;
    }

    /// <summary>
    /// The policy an API endpoint requires: reading needs <see cref="PlatformPolicies.View"/>; changing rules, channels
    /// or users needs <see cref="PlatformPolicies.Administer"/>; any other change (acknowledge, silences and maintenance
    /// windows, backtests) needs <see cref="PlatformPolicies.Operate"/>. Validating a rule changes nothing and needs View.
    /// </summary>
    public static string PolicyFor(string method, string route)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(route);
        route = "/" + route.Trim('/');
        if (!route.StartsWith("/api/", StringComparison.Ordinal))
        {
            route = "/api" + route;
        }

        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || route.EndsWith("/rules/validate", StringComparison.Ordinal))
        {
            return PlatformPolicies.View;
        }

        return route.StartsWith("/api/rules", StringComparison.Ordinal) && !route.EndsWith("/rules/backtest", StringComparison.Ordinal)
            || route.StartsWith("/api/channels", StringComparison.Ordinal)
            || route.StartsWith("/api/users", StringComparison.Ordinal)
            ? PlatformPolicies.Administer
            : PlatformPolicies.Operate;
    }

    private static void MapRules(RouteGroupBuilder api)
    {
        api.MapGet("/rules", (AlertingRuntime runtime) =>
                Results.Json(runtime.Rules.Items.Values.OrderBy(r => r.Id, StringComparer.Ordinal).ToList(), AlertCodec.Json.ListAlertRule))
            .WithTags("Rules").WithSummary("All rules").Produces<List<AlertRule>>();

        api.MapGet("/rules/{id}", (string id, AlertingRuntime runtime) => runtime.Rules.Items.TryGetValue(id, out var rule)
                ? Results.Json(rule, AlertCodec.Json.AlertRule)
                : NotFound("rule", id))
            .WithTags("Rules").WithSummary("One rule").Produces<AlertRule>().ProducesProblem(404);

        api.MapPost("/rules", async (HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                var (rule, problem) = await ReadAsync(request, AlertCodec.Json.AlertRule);
                if (problem is not null)
                {
                    return problem;
                }

                if (runtime.Rules.Items.ContainsKey(rule!.Id))
                {
                    return Results.Problem(title: $"Rule '{rule.Id}' exists", detail: "PUT /api/rules/{id} replaces it", statusCode: 409);
                }

                return await SaveRuleAsync(runtime, rule, request, created: true, ct);
            })
            .WithTags("Rules").WithSummary("Create a rule").Accepts<AlertRule>("application/json")
            .Produces<AlertRule>(201).ProducesValidationProblem().ProducesProblem(409);

        api.MapPut("/rules/{id}", async (string id, HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                var (rule, problem) = await ReadAsync(request, AlertCodec.Json.AlertRule);
                if (problem is not null)
                {
                    return problem;
                }

                if (rule!.Id != id)
                {
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"'{rule.Id}' differs from the URL's '{id}'"] });
                }

                return await SaveRuleAsync(runtime, rule, request, created: false, ct);
            })
            .WithTags("Rules").WithSummary("Create or replace a rule").Accepts<AlertRule>("application/json")
            .Produces<AlertRule>().ProducesValidationProblem();

        api.MapDelete("/rules/{id}", async (string id, AlertingRuntime runtime, CancellationToken ct) =>
            {
                if (!runtime.Rules.Items.ContainsKey(id))
                {
                    return NotFound("rule", id);
                }

                await runtime.DeleteRuleAsync(id, ct);
                return Results.NoContent();
            })
            .WithTags("Rules").WithSummary("Delete a rule (a tombstone on alert-rules)").Produces(204).ProducesProblem(404);

        api.MapPost("/rules/validate", async (HttpRequest request, AlertingRuntime runtime) =>
            {
                var (rule, problem) = await ReadAsync(request, AlertCodec.Json.AlertRule);
                if (problem is not null)
                {
                    return problem;
                }

                var errors = runtime.Validator.Validate(rule!);
                return errors.Count > 0 ? Results.ValidationProblem(errors, title: "The rule is invalid") : Results.Ok(new { valid = true });
            })
            .WithTags("Rules").WithSummary("Validate a rule without saving it").Accepts<AlertRule>("application/json").ProducesValidationProblem();

        api.MapPost("/rules/import", async (HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                if (!IsRuleFileContentType(request))
                {
                    return UnsupportedBody(request, "application/yaml or application/json");
                }

                using var reader = new StreamReader(request.Body);
                var text = await reader.ReadToEndAsync(ct);
                IReadOnlyList<AlertRule> rules;
                try
                {
                    rules = request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true ? RuleFile.ParseJson(text) : RuleFile.ParseYaml(text);
                }
                catch (Exception e) when (e is InvalidDataException or JsonException or YamlDotNet.Core.YamlException)
                {
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["$"] = [e.Message] }, title: "The rule file is invalid");
                }

                var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                for (var i = 0; i < rules.Count; i++)
                {
                    foreach (var (field, messages) in runtime.Validator.Validate(rules[i]).Concat(runtime.UnknownChannels(rules[i])))
                    {
                        errors[$"rules[{i}].{field}"] = messages;
                    }
                }

                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors, title: "The rule file is invalid");
                }

                // As the rules file at start: a rule whose definition is already on the topic is not written again.
                var changed = new List<string>();
                foreach (var rule in rules)
                {
                    if (runtime.Rules.Items.TryGetValue(rule.Id, out var existing) && RuleFile.SameDefinition(existing, rule))
                    {
                        continue;
                    }

                    await runtime.PutRuleAsync(rule with { UpdatedAt = runtime.Time.GetUtcNow(), UpdatedBy = SignedInName(request) ?? "import" }, ct);
                    changed.Add(rule.Id);
                }

                return Results.Ok(new { imported = rules.Count, ids = rules.Select(r => r.Id).ToArray(), changed = changed.ToArray() });
            })
            .WithTags("Rules").WithSummary("Import rules from a YAML (application/yaml) or JSON file body; rules already on the topic unchanged are not rewritten")
            .Accepts<string>("application/yaml", "application/json").ProducesValidationProblem();

        api.MapPost("/rules/backtest", async (HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                var (backtest, problem) = await ReadAsync(request, BacktestJson);
                if (problem is not null)
                {
                    return problem;
                }

                var errors = runtime.Validator.Validate(backtest!.Rule).ToDictionary(e => "rule." + e.Key, e => e.Value, StringComparer.Ordinal);
                if (backtest.To is { } to && to <= backtest.From)
                {
                    errors["to"] = ["must be after from"];
                }

                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors, title: "The backtest is invalid");
                }

                var result = await new Backtester(runtime.Options).RunAsync(backtest, TimeSpan.FromSeconds(120), ct);
                return Results.Ok(result);
            })
            .WithTags("Rules").WithSummary("Replay retained metrics over a period and report when a rule would have fired")
            .Accepts<BacktestRequest>("application/json").Produces<BacktestResult>().ProducesValidationProblem();

        api.MapGet("/metrics/names", (AlertingRuntime runtime) => Results.Ok(runtime.Catalog.Names))
            .WithTags("Rules").WithSummary("Metric names rules may use");
    }

    private static void MapAlerts(RouteGroupBuilder api)
    {
        api.MapGet("/alerts", (string? state, AlertingRuntime runtime) =>
            {
                var all = runtime.Alerts.Items.Values.AsEnumerable();
                if (state is not null)
                {
                    all = all.Where(a => string.Equals(a.State.ToString(), state, StringComparison.OrdinalIgnoreCase));
                }

                return Results.Json(all.OrderByDescending(a => a.At).ToList(), AlertCodec.Json.ListAlertTransition);
            })
            .WithTags("Alerts").WithSummary("The latest record of every alert; ?state=firing filters").Produces<List<AlertTransition>>();

        api.MapGet("/alerts/history", async (string? state, string? rule, string? host, [FromQuery] string[]? label, DateTimeOffset? from,
                DateTimeOffset? to, int? limit, AlertingRuntime runtime, CancellationToken ct) =>
            {
                var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                AlertState? wanted = null;
                if (state is not null)
                {
                    if (Enum.TryParse<AlertState>(state, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
                    {
                        wanted = parsed;
                    }
                    else
                    {
                        errors["state"] = ["one of pending, firing, resolved, inactive"];
                    }
                }

                var labels = new List<KeyValuePair<string, string>>();
                foreach (var (item, i) in (label ?? []).Select((l, i) => (l, i)))
                {
                    var eq = item.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        errors[$"label[{i}]"] = ["expected name=value"];
                        continue;
                    }

                    labels.Add(new(item[..eq], item[(eq + 1)..]));
                }

                if (limit is < 1 or > 10_000)
                {
                    errors["limit"] = ["between 1 and 10000"];
                }

                if (from is { } f && to is { } t && t < f)
                {
                    errors["to"] = ["must not be before from"];
                }

                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors, title: "The history query is invalid");
                }

                var query = new AlertHistoryQuery { State = wanted, RuleId = rule, Host = host, Labels = labels, From = from, To = to, Limit = limit ?? 200 };
                var records = await Task.Run(() => AlertHistory.Read(runtime.Options, query, TimeSpan.FromSeconds(20), ct), ct);
                return Results.Json(records, AlertCodec.Json.ListAlertTransition);
            })
            .WithTags("Alerts")
            .WithSummary("Every record of the alerts topic (transitions, notifications, acknowledgements, escalations), newest first; "
                + "filters: state, rule, host, label=name=value (repeatable), from, to, limit (default 200); at most 100,000 records read per partition")
            .Produces<List<AlertTransition>>().ProducesValidationProblem();

        api.MapGet("/alerts/{fingerprint}", (string fingerprint, AlertingRuntime runtime) =>
                runtime.Alerts.Items.TryGetValue(fingerprint, out var alert)
                    ? Results.Json(alert, AlertCodec.Json.AlertTransition)
                    : NotFound("alert", fingerprint))
            .WithTags("Alerts").Produces<AlertTransition>().ProducesProblem(404);

        api.MapPost("/alerts/{fingerprint}/ack", async (string fingerprint, AcknowledgeRequest body, HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                var by = SignedInName(request) ?? body.By;
                if (string.IsNullOrWhiteSpace(by))
                {
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["by"] = ["who acknowledges is required"] });
                }

                if (!runtime.Alerts.Items.TryGetValue(fingerprint, out var alert))
                {
                    return NotFound("alert", fingerprint);
                }

                if (alert.State != AlertState.Firing)
                {
                    return Results.Problem(title: "Only a firing alert can be acknowledged", detail: $"alert {fingerprint} is {alert.State}", statusCode: 409);
                }

                await runtime.AcknowledgeAsync(alert, by, body.Comment, ct);
                return Results.Json(runtime.Alerts.Items[fingerprint], AlertCodec.Json.AlertTransition);
            })
            .WithTags("Alerts").WithSummary("Acknowledge a firing alert: repeats and escalation stop; who is the signed-in user (security on) or the body's by")
            .Produces<AlertTransition>().ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);
    }

    private static void MapSilences(RouteGroupBuilder api)
    {
        api.MapGet("/silences", (AlertingRuntime runtime) =>
                Results.Json(runtime.Silences.Items.Values.OrderBy(s => s.StartsAt).ToList(), AlertCodec.Json.ListSilence))
            .WithTags("Silences").WithSummary("Silences and maintenance windows").Produces<List<Silence>>();

        api.MapPost("/silences", async (HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                var (silence, problem) = await ReadAsync(request, AlertCodec.Json.Silence, node =>
                {
                    if (SignedInName(request) is { } user)
                    {
                        node["createdBy"] = user;
                    }

                    node["id"] ??= "silence-" + Guid.NewGuid().ToString("N")[..12];
                    node["createdAt"] ??= runtime.Time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
                });
                if (problem is not null)
                {
                    return problem;
                }

                var errors = RuleValidator.Validate(silence!);
                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors, title: "The silence is invalid");
                }

                await runtime.PutSilenceAsync(silence!, ct);
                return Results.Json(silence, AlertCodec.Json.Silence, statusCode: 201);
            })
            .WithTags("Silences").WithSummary("Create or replace a silence (with recurrence: a maintenance window)")
            .Accepts<Silence>("application/json").Produces<Silence>(201).ProducesValidationProblem();

        api.MapPut("/silences/{id}", async (string id, HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                if (!runtime.Silences.Items.TryGetValue(id, out var existing))
                {
                    return NotFound("silence", id);
                }

                // An edit keeps who created it and when unless the body says otherwise; the id is the URL's.
                var (silence, problem) = await ReadAsync(request, AlertCodec.Json.Silence, node =>
                {
                    node["id"] ??= id;
                    if (SignedInName(request) is not null)
                    {
                        node["createdBy"] = existing.CreatedBy; // the creator stays who created it
                    }

                    node["createdBy"] ??= existing.CreatedBy;
                    if (existing.CreatedAt is { } createdAt)
                    {
                        node["createdAt"] ??= createdAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
                    }
                });
                if (problem is not null)
                {
                    return problem;
                }

                if (silence!.Id != id)
                {
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"'{silence.Id}' differs from the URL's '{id}'"] });
                }

                var errors = RuleValidator.Validate(silence);
                if (errors.Count > 0)
                {
                    return Results.ValidationProblem(errors, title: "The silence is invalid");
                }

                await runtime.PutSilenceAsync(silence, ct);
                return Results.Json(silence, AlertCodec.Json.Silence);
            })
            .WithTags("Silences").WithSummary("Edit a silence or maintenance window (matchers, times, recurrence, comment); the newest record on the silences topic wins")
            .Accepts<Silence>("application/json").Produces<Silence>().ProducesValidationProblem().ProducesProblem(404);

        api.MapGet("/silences/{id}", (string id, AlertingRuntime runtime) => runtime.Silences.Items.TryGetValue(id, out var silence)
                ? Results.Json(silence, AlertCodec.Json.Silence)
                : NotFound("silence", id))
            .WithTags("Silences").WithSummary("One silence or maintenance window").Produces<Silence>().ProducesProblem(404);

        api.MapGet("/silences/{id}/matches", (string id, AlertingRuntime runtime) =>
            {
                if (!runtime.Silences.Items.TryGetValue(id, out var silence))
                {
                    return NotFound("silence", id);
                }

                var now = runtime.Time.GetUtcNow();
                var alerts = runtime.Alerts.Items.Values
                    .Where(a => a.State is AlertState.Pending or AlertState.Firing && SilenceSchedule.Matches(silence, a.Labels))
                    .OrderBy(a => a.RuleName, StringComparer.Ordinal)
                    .Select(a => new SilenceMatchedAlert(a.Fingerprint, a.RuleId, a.RuleName, a.Labels.GetValueOrDefault("host"), a.State))
                    .ToList();
                var hosts = runtime.Alerts.Items.Values.Select(a => a.Labels.GetValueOrDefault("host")).OfType<string>()
                    .Distinct(StringComparer.Ordinal).Where(h => SilenceSchedule.CoversHost(silence, h)).Order(StringComparer.Ordinal).ToList();
                return Results.Ok(new SilenceMatches(silence.Id, SilenceSchedule.IsActive(silence, now), SilenceSchedule.NextStart(silence, now), alerts, hosts));
            })
            .WithTags("Silences").WithSummary("Whether the silence is in force now, when next, the pending and firing alerts it matches and the hosts it covers")
            .Produces<SilenceMatches>().ProducesProblem(404);

        api.MapDelete("/silences/{id}", async (string id, AlertingRuntime runtime, CancellationToken ct) =>
            {
                if (!runtime.Silences.Items.ContainsKey(id))
                {
                    return NotFound("silence", id);
                }

                await runtime.DeleteSilenceAsync(id, ct);
                return Results.NoContent();
            })
            .WithTags("Silences").WithSummary("Expire a silence").Produces(204).ProducesProblem(404);
    }

    private static void MapChannels(RouteGroupBuilder api)
    {
        api.MapGet("/channels", (AlertingRuntime runtime) =>
                Results.Json(runtime.Channels.Items.Values.OrderBy(c => c.Id, StringComparer.Ordinal).Select(ChannelSecrets.Masked).ToList(),
                    AlertCodec.Json.ListNotificationChannel))
            .WithTags("Channels").WithSummary("Notification channels, secrets masked (URL path, header values, SMTP password)")
            .Produces<List<NotificationChannel>>();

        api.MapGet("/channels/{id}", (string id, AlertingRuntime runtime) => runtime.Channels.Items.TryGetValue(id, out var channel)
                ? Results.Json(ChannelSecrets.Masked(channel), AlertCodec.Json.NotificationChannel)
                : NotFound("channel", id))
            .WithTags("Channels").WithSummary("One channel, secrets masked").Produces<NotificationChannel>().ProducesProblem(404);

        api.MapPut("/channels/{id}", async (string id, HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                var headersGiven = false;
                var (channel, problem) = await ReadAsync(request, AlertCodec.Json.NotificationChannel, node => headersGiven = node.ContainsKey("headers"));
                if (problem is not null)
                {
                    return problem;
                }

                return await SaveChannelAsync(runtime, id, channel!, headersGiven, ct);
            })
            .WithTags("Channels").WithSummary("Create or replace a channel; a masked or omitted secret keeps the stored one")
            .Accepts<NotificationChannel>("application/json").Produces<NotificationChannel>().ProducesValidationProblem();

        api.MapPatch("/channels/{id}", async (string id, HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                if (!runtime.Channels.Items.TryGetValue(id, out var stored))
                {
                    return NotFound("channel", id);
                }

                var headersGiven = false;
                var (channel, problem) = await ReadAsync(request, AlertCodec.Json.NotificationChannel, patch =>
                {
                    headersGiven = patch.ContainsKey("headers");
                    var merged = JsonSerializer.SerializeToNode(stored, AlertCodec.Json.NotificationChannel)!.AsObject();
                    Merge(merged, patch);
                    patch.Clear();
                    foreach (var (name, value) in merged.ToList())
                    {
                        merged.Remove(name);
                        patch[name] = value;
                    }
                });
                if (problem is not null)
                {
                    return problem;
                }

                return await SaveChannelAsync(runtime, id, channel!, headersGiven, ct);
            })
            .WithTags("Channels").WithSummary("Change some fields of a channel (a JSON merge patch); secrets not given or masked are kept")
            .Accepts<NotificationChannel>("application/merge-patch+json", "application/json")
            .Produces<NotificationChannel>().ProducesValidationProblem().ProducesProblem(404);

        api.MapDelete("/channels/{id}", async (string id, AlertingRuntime runtime, CancellationToken ct) =>
            {
                if (!runtime.Channels.Items.ContainsKey(id))
                {
                    return NotFound("channel", id);
                }

                await runtime.DeleteChannelAsync(id, ct);
                return Results.NoContent();
            })
            .WithTags("Channels").Produces(204).ProducesProblem(404);

        api.MapPost("/channels/{id}/test", async (string id, string? by, HttpRequest request, AlertingRuntime runtime, CancellationToken ct) =>
            {
                by = SignedInName(request) ?? by;
                if (!runtime.Channels.Items.TryGetValue(id, out var channel))
                {
                    return NotFound("channel", id);
                }

                var record = await runtime.Dispatcher.SendTestAsync(channel, by ?? "api", ct);
                return record.Success ? Results.Ok(record) : Results.Json(record, statusCode: StatusCodes.Status502BadGateway);
            })
            .WithTags("Channels").WithSummary("Send a test notification now (502 with the delivery record when it fails)")
            .Produces<DeliveryRecord>().Produces<DeliveryRecord>(502).ProducesProblem(404);

        api.MapGet("/channels/{id}/deliveries", (string id, AlertingRuntime runtime) => Results.Ok(runtime.Dispatcher.Log.Of(id)))
            .WithTags("Channels").WithSummary("The channel's delivery log, newest last").Produces<IReadOnlyList<DeliveryRecord>>();
    }

    private static readonly JsonTypeInfo<BacktestRequest> BacktestJson = (JsonTypeInfo<BacktestRequest>)
        new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine(AlertsJsonContext.Default, new DefaultJsonTypeInfoResolver()),
        }.GetTypeInfo(typeof(BacktestRequest));

    private static async Task<IResult> SaveChannelAsync(AlertingRuntime runtime, string id, NotificationChannel written, bool headersGiven, CancellationToken ct)
    {
        runtime.Channels.Items.TryGetValue(id, out var stored);
        var (channel, errors) = ChannelSecrets.KeepStored(written, stored, headersGiven);
        foreach (var (field, messages) in RuleValidator.Validate(channel))
        {
            errors.TryAdd(field, messages);
        }

        if (channel.Id != id)
        {
            errors["id"] = [$"'{channel.Id}' differs from the URL's '{id}'"];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The channel is invalid");
        }

        await runtime.PutChannelAsync(channel, ct);
        return Results.Json(ChannelSecrets.Masked(channel), AlertCodec.Json.NotificationChannel);
    }

    /// <summary>RFC 7396 merge: objects merge member by member, null removes a member, anything else replaces it.</summary>
    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject inner && target[name] is JsonObject existing)
            {
                Merge(existing, inner);
            }
            else
            {
                patch.Remove(name);
                target[name] = value;
            }
        }
    }

    // With security on, a change is recorded under the signed-in user's name whatever the body claims.
    private static string? SignedInName(HttpRequest request) =>
        request.HttpContext.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null;

    private static IResult UnsupportedBody(HttpRequest request, string expected) =>
        Results.Problem(
            title: "Unsupported content type",
            detail: $"The body must be {expected}, not '{request.ContentType ?? "(none)"}'.",
            statusCode: StatusCodes.Status415UnsupportedMediaType);

    // A rule file is YAML or JSON; the types a browser may send cross-origin without a preflight (text/plain, forms) are refused.
    private static bool IsRuleFileContentType(HttpRequest request) =>
        request.HasJsonContentType()
        || (request.ContentType is { } type && (type.StartsWith("application/yaml", StringComparison.OrdinalIgnoreCase)
            || type.StartsWith("application/x-yaml", StringComparison.OrdinalIgnoreCase)
            || type.StartsWith("text/yaml", StringComparison.OrdinalIgnoreCase)));

    private static IResult NotFound(string what, string id) =>
        Results.Problem(title: $"No {what} '{id}'", statusCode: StatusCodes.Status404NotFound);

    /// <summary>
    /// Reads a JSON body; malformed JSON or a missing required field is a 400 naming the field. A body that is not
    /// declared JSON (<c>application/json</c> or <c>application/*+json</c>) is a 415 without being read: a browser sends
    /// such a type cross-origin only after a CORS preflight, which this API never grants, so another site cannot post
    /// JSON as <c>text/plain</c> with the user's cookie or cached Basic credentials.
    /// </summary>
    private static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, Action<JsonObject>? complete = null)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, UnsupportedBody(request, "application/json"));
        }

        try
        {
            var node = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            if (node is not JsonObject obj)
            {
                return (null, Results.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["expected a JSON object"] }));
            }

            complete?.Invoke(obj);
            var value = obj.Deserialize(type);
            return value is null
                ? (null, Results.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["empty body"] }))
                : (value, null);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "$";
            return (null, Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [e.Message] }, title: "The JSON body is invalid"));
        }
    }

    private static async Task<IResult> SaveRuleAsync(AlertingRuntime runtime, AlertRule rule, HttpRequest request, bool created, CancellationToken ct)
    {
        var errors = runtime.Validator.Validate(rule);
        foreach (var (field, messages) in runtime.UnknownChannels(rule))
        {
            errors.TryAdd(field, messages);
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The rule is invalid");
        }

        var saved = rule with { UpdatedAt = runtime.Time.GetUtcNow(), UpdatedBy = SignedInName(request) ?? rule.UpdatedBy ?? request.Headers["X-User"].FirstOrDefault() ?? "api" };
        await runtime.PutRuleAsync(saved, ct);
        return created
            ? Results.Json(saved, AlertCodec.Json.AlertRule, statusCode: StatusCodes.Status201Created)
            : Results.Json(saved, AlertCodec.Json.AlertRule);
    }
}
