using System.Collections.Concurrent;

namespace Platform.Broker.Storage;

/// <summary>
/// Dedicated threads for the fsyncs that strict appends wait for. An fsync blocks its thread for as long as the disk
/// takes; on the thread pool, a few at once (one per partition being produced to) would hold every pool thread of a
/// small machine, and request handlers, timers and everything else in the process would wait until the pool grows.
/// Shared by every log in the process; up to <see cref="Count"/> fsyncs run side by side, more wait their turn.
/// </summary>
internal static class FsyncThreads
{
    public const int Count = 4;

    private static readonly BlockingCollection<(Action Work, TaskCompletionSource Done)> Queue = Start();

    /// <summary>Runs <paramref name="work"/> on an fsync thread; the task ends as it does (its exception included).</summary>
    public static Task RunAsync(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((work, done));
        return done.Task;
    }

    private static BlockingCollection<(Action Work, TaskCompletionSource Done)> Start()
    {
        var queue = new BlockingCollection<(Action Work, TaskCompletionSource Done)>();
        for (var i = 0; i < Count; i++)
        {
            new Thread(() => Serve(queue)) { IsBackground = true, Name = "broker-fsync" }.Start();
        }

        return queue;
    }

    private static void Serve(BlockingCollection<(Action Work, TaskCompletionSource Done)> queue)
    {
        foreach (var (work, done) in queue.GetConsumingEnumerable())
        {
            try
            {
                work();
                done.TrySetResult();
            }
#pragma warning disable CA1031 // whatever the flush throws belongs to the append that waits for it
            catch (Exception e)
#pragma warning restore CA1031
            {
                done.TrySetException(e);
            }
        }
    }
}
