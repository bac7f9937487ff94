using System.Diagnostics;

namespace Platform.Broker.Tests.Integration;

/// <summary>Runs Debian's kcat with arguments and input, and returns its exit code and output (60 s at the most).</summary>
internal static class KcatProcess
{
    private const string Kcat = "/usr/bin/kcat";

    public static Task<(int ExitCode, string Output, string Error)> RunAsync(string arguments, string? input, CancellationToken ct) =>
        RunAsync(new ProcessStartInfo(Executable, arguments), input, ct);

    public static Task<(int ExitCode, string Output, string Error)> RunAsync(IEnumerable<string> arguments, string? input, CancellationToken ct) =>
        RunAsync(new ProcessStartInfo(Executable, arguments), input, ct);

    private static string Executable => File.Exists(Kcat) ? Kcat : "kcat";

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(ProcessStartInfo info, string? input, CancellationToken ct)
    {
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("kcat did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), ct);
        }

        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            var arguments = info.ArgumentList.Count > 0 ? string.Join(' ', info.ArgumentList) : info.Arguments;
            throw new TimeoutException($"kcat {arguments} did not finish: {await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
