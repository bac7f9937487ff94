using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Platform.Bench.Agent;

namespace Platform.Bench.Fleet;

/// <summary>
/// A component of the run in its own process (so /proc/PID gives its CPU time and peak RSS): a .NET assembly beside
/// the bench (<c>dotnet X.dll …</c>) or a native program. Its output lines go to <see cref="Lines"/> subscribers and
/// the last 100 are kept for error messages. Disposing kills the whole process tree if it still runs.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public event Action<string>? Lines;

    public string Tail => string.Join('\n', _tail);

    public static ChildProcess StartDotnet(string name, string dll, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{dll} is not beside the bench; build bench/Platform.Bench in Release (it references every part).", path);
        }

        return Start(name, "dotnet", [path, .. args], environment);
    }

    public static ChildProcess Start(string name, string file, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _tail.Enqueue(line);
        while (_tail.Count > 100)
        {
            _tail.TryDequeue(out _);
        }

        Lines?.Invoke(line);
    }

    /// <summary>Waits for an output line matching <paramref name="pattern"/>; returns its first group (or the line).</summary>
    public async Task<string> WaitForLineAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string line)
        {
            if (pattern.Match(line) is { Success: true } m)
            {
                found.TrySetResult(m.Groups.Count > 1 ? m.Groups[1].Value : line);
            }
        }

        Lines += OnLine;
        try
        {
            foreach (var line in _tail)
            {
                OnLine(line);
            }

            var exited = _process.WaitForExitAsync(cancellationToken);
            var first = await Task.WhenAny(found.Task, exited, Task.Delay(timeout, cancellationToken));
            if (first == found.Task)
            {
                return await found.Task;
            }

            throw new InvalidOperationException(first == exited
                ? $"{Name} exited ({_process.ExitCode}) before printing /{pattern}/:\n{Tail}"
                : $"{Name} did not print /{pattern}/ within {timeout.TotalSeconds:0} s:\n{Tail}");
        }
        finally
        {
            Lines -= OnLine;
        }
    }

    /// <summary>User + system CPU seconds so far.</summary>
    public double CpuSeconds() => ProcessStats.CpuSeconds(Pid);

    public long PeakRssBytes() => ProcessStats.PeakRssBytes(Pid);

    /// <summary>Closes the process' standard input (the simulator stops on it) and waits for it to exit.</summary>
    public async Task<bool> CloseInputAndWaitAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }

        _process.Dispose();
    }
}
