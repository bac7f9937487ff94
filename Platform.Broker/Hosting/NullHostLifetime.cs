using Microsoft.Extensions.Hosting;

namespace Platform.Broker.Hosting;

/// <summary>
/// The metrics web host's lifetime: it does not listen for SIGTERM/Ctrl+C itself — whoever owns the
/// <see cref="BrokerServer"/> (Program.cs, or a host embedding the broker) decides when to stop it.
/// </summary>
internal sealed class NullHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
