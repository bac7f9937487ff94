using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Alerting;
using Platform.Alerting.Security;
using Prometheus;

// platform-alerting [--bootstrap HOST:PORT] [--urls http://127.0.0.1:5081] [--group-id ID] [--state DIR] [--rules FILE]
//                   [--secure true [--users FILE]]
var builder = WebApplication.CreateBuilder(args);
var config = builder.Configuration;
builder.Services.AddPlatformAlerting(o =>
{
    o.Bootstrap = config["bootstrap"] ?? o.Bootstrap;
    o.GroupId = config["group-id"] ?? o.GroupId;
    o.StateDirectory = config["state"] ?? o.StateDirectory;
    o.RulesFile = config["rules"];
    o.InstanceId = config["instance"];
    foreach (var setting in config.GetSection("Kafka").GetChildren())
    {
        // Kafka:security.protocol=SASL_SSL, Kafka:sasl.username=..., etc. (environment: Kafka__sasl.username).
        if (setting.Value is not null)
        {
            o.KafkaProperties[setting.Key] = setting.Value;
        }
    }
});

// Security on: the REST API takes HTTP Basic against a users file (the dashboard's, or its own) and enforces the roles.
var secure = config.GetValue<bool>("secure");
var usersFile = config["users"] ?? Path.Combine(config["state"] ?? "alerting-state", "users.json");
if (secure)
{
    builder.Services.AddPlatformSecurity(usersFile);
}

var app = builder.Build();
if (secure && app.Services.GetRequiredService<UserStore>().EnsureInitialAdmin() is { } password)
{
    Console.WriteLine($"Created user 'admin' with password: {password}");
    Console.WriteLine($"It is shown only this once. Change it with: dotnet run --project Platform.Dashboard -- users set-password admin --users {usersFile}");
}

app.MapAlertingApi();
app.MapGet("/health", () => Results.Ok("ok"));
app.MapMetrics();
await app.RunAsync();
