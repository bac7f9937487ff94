using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Alerting.Security;
using Platform.Alerting.Service;

namespace Platform.Alerting;

public static class AlertingServiceCollectionExtensions
{
    /// <summary>Registers the alerting service: the evaluation loop (consumer group on <c>metrics</c> and <c>logs</c>),
    /// the contract-topic tables, the notifiers, and the OpenAPI document of <see cref="AlertingEndpointRouteBuilderExtensions.MapAlertingApi"/>.
    /// The options object is read when the host starts, so it may still be completed after this call (the all-in-one
    /// host sets <see cref="AlertingOptions.Bootstrap"/> once its broker listens).</summary>
    public static IServiceCollection AddPlatformAlerting(this IServiceCollection services, Action<AlertingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new AlertingOptions();
        configure(options);
        services.AddSingleton(options);
        services.AddSingleton(sp => new AlertingRuntime(options, sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<AlertingService>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertingService>());
        services.AddOpenApi(AlertingEndpointRouteBuilderExtensions.OpenApiDocument);
        services.AddOpenPlatformPolicies();
        return services;
    }
}
