using System.Reflection;
using BenchmarkDotNet.Running;
using Platform.Bench;

// `micro [BenchmarkDotNet args]` runs the BenchmarkDotNet micro-benchmarks; any other first argument
// names a load harness (see IHarness).
var harnesses = typeof(IHarness).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IHarness).IsAssignableFrom(t))
    .Select(t => (IHarness)Activator.CreateInstance(t)!)
    .OrderBy(h => h.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: Platform.Bench micro [BenchmarkDotNet options] | Platform.Bench HARNESS [options]");
    Console.WriteLine("harnesses:");
    foreach (var h in harnesses)
    {
        Console.WriteLine($"  {h.Name,-12} {h.Description}");
    }

    return args.Length == 0 ? 1 : 0;
}

if (args[0] == "micro")
{
    BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args[1..]);
    return 0;
}

var harness = harnesses.FirstOrDefault(h => h.Name == args[0]);
if (harness is null)
{
    Console.Error.WriteLine($"unknown harness '{args[0]}'; run with --help for the list");
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
return await harness.RunAsync(args[1..], cts.Token);
