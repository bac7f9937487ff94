using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.Alerting;
using Prometheus;

// platform-alerting [--bootstrap HOST:PORT] [--urls http://127.0.0.1:5081] [--group-id ID] [--state DIR] [--rules FILE]
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
var app = builder.Build();
app.MapAlertingApi();
app.MapGet("/health", () => Results.Ok("ok"));
app.MapMetrics();
await app.RunAsync();
