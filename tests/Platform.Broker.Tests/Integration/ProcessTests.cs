using System.Diagnostics;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Platform.TestKit;

namespace Platform.Broker.Tests.Integration;

/// <summary>platform-broker as its own process: command-line settings, SIGTERM shutdown that keeps every acknowledged record.</summary>
public partial class ProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [GeneratedRegex(@"Broker listening on (127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    [Fact]
    public async Task BrokerProcess_StopsCleanlyOnSigterm_KeepingAcknowledgedRecords()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-process");
        var dll = Path.Combine(AppContext.BaseDirectory, "Platform.Broker.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" --listen 127.0.0.1:0 --data-dir \"{dir.Path}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["BROKER__DEFAULTPARTITIONS"] = "2";
        using var process = Process.Start(info)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var bootstrap = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } m)
            {
                bootstrap.TrySetResult(m.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await bootstrap.Task.WaitAsync(Deadline, ct);
            using (var producer = new ProducerBuilder<Null, string>(BrokerFixture.ProducerConfigFor(address)).Build())
            {
                for (var i = 0; i < 50; i++)
                {
                    producer.Produce("sigterm", new Message<Null, string> { Value = $"s{i}" });
                }

                Assert.Equal(0, producer.Flush(Deadline));
            }

            using (var kill = Process.Start("kill", $"-TERM {process.Id}"))
            {
                await kill.WaitForExitAsync(ct);
            }

            await process.WaitForExitAsync(ct).WaitAsync(Deadline, ct);
            Assert.True(process.ExitCode == 0, string.Join('\n', output));
            Assert.Contains(output, l => l.Contains("Broker stopped", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await using var reopened = await BrokerServer.StartAsync(BrokerFixture.Options(dir.Path), BrokerFixture.CreateLoggerFactory(), ct);
        Assert.True(reopened.Log.TryGetTopic("sigterm", out var topic));
        Assert.Equal(2, topic.Partitions.Count);
        Assert.Equal(50, topic.Partitions.Sum(p => p.LogEndOffset));
    }

    [Fact]
    public async Task BrokerProcess_ExitsWithAClearError_ForABadListenAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("broker-process");
        var dll = Path.Combine(AppContext.BaseDirectory, "Platform.Broker.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" --listen nonsense --data-dir \"{dir.Path}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(Deadline, ct);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("Listen must be host:port", stderr, StringComparison.Ordinal);
    }
}
