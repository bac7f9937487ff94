using System.Diagnostics;
using System.Globalization;

namespace Platform.Bench.Fleet;

/// <summary>
/// <c>fleet-sim --bootstrap HOST:PORT [--hosts 1000] [--series 100] [--interval-ms 1000] [--log-lines 1] [--seconds 0]
/// [--start-unix-ms T] [--stimulus-first-ms 10000 --stimulus-every-ms 500 --stimulus-hold-ms 5000 --stimulus-count 100]</c>:
/// the fleet simulator alone, against any broker. It runs until <c>--seconds</c> pass (0: until its standard input
/// closes or Ctrl+C) and writes lines the <c>fleet</c> harness reads: <c>READY</c>, <c>STIMULUS k host unixMs</c>,
/// <c>STAT …</c> every 5 s and <c>DONE …</c>.
/// </summary>
internal sealed class FleetSimHarness : IHarness
{
    public string Name => "fleet-sim";

    public string Description => "fleet simulator alone: N hosts x 100 series at 1 Hz into a broker (--bootstrap), with CPU stimuli";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var bootstrap = FleetArgs.String(args, "--bootstrap") ?? throw new ArgumentException("--bootstrap HOST:PORT is required");
        var hosts = FleetArgs.Int(args, "--hosts", 1000);
        if (hosts == 0)
        {
            throw new ArgumentException("--hosts must be at least 1");
        }

        var start = FleetArgs.String(args, "--start-unix-ms") is { } s ? long.Parse(s, CultureInfo.InvariantCulture) : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var options = new FleetSimulatorOptions(
            bootstrap,
            hosts,
            Math.Max(1, FleetArgs.Int(args, "--series", 100)),
            TimeSpan.FromMilliseconds(Math.Max(10, FleetArgs.Int(args, "--interval-ms", 1000))),
            FleetArgs.Int(args, "--log-lines", 1),
            StimulusPlan.FromArgs(args, hosts),
            start);
        var seconds = FleetArgs.Int(args, "--seconds", 0);

        var gate = new Lock();
        void Output(string line)
        {
            lock (gate)
            {
                Console.Out.WriteLine(line);
                Console.Out.Flush();
            }
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (seconds > 0)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(seconds));
        }
        else
        {
            // The harness that started this process stops it by closing its standard input.
            _ = Task.Run(() =>
            {
                while (Console.In.ReadLine() is not null)
                {
                }

                stop.Cancel();
            }, CancellationToken.None);
        }

        var simulator = new FleetSimulator(options, Output);
        var self = Process.GetCurrentProcess();
        var thread = new Thread(() => simulator.Run(stop.Token)) { Name = "fleet-sim", IsBackground = true };
        thread.Start();
        Output(string.Create(CultureInfo.InvariantCulture, $"READY hosts={hosts} series={options.SeriesPerHost} interval={options.Interval.TotalMilliseconds}ms logLines={options.LogLinesPerTick}"));
        var clock = Stopwatch.StartNew();
        while (thread.IsAlive)
        {
            await Task.Run(() => thread.Join(TimeSpan.FromSeconds(5)), CancellationToken.None);
            self.Refresh();
            Output(string.Create(CultureInfo.InvariantCulture,
                $"STAT t={clock.Elapsed.TotalSeconds:0.0} batches={simulator.Batches} samples={simulator.Samples} logBatches={simulator.LogBatches} delivered={simulator.Delivered} errors={simulator.Errors} queueFull={simulator.QueueFull} lateTicks={simulator.LateTicks} cpu={self.TotalProcessorTime.TotalSeconds:0.00}"));
        }

        Output(string.Create(CultureInfo.InvariantCulture,
            $"DONE batches={simulator.Batches} samples={simulator.Samples} delivered={simulator.Delivered} errors={simulator.Errors} lastError={simulator.LastError ?? "-"}"));
        return simulator.Errors == 0 ? 0 : 1;
    }
}
