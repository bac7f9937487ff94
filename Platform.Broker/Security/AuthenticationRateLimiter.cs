using System.Collections.Concurrent;
using System.Diagnostics;

namespace Platform.Broker.Security;

/// <summary>
/// Failed SASL authentications per source address over a sliding window: once <c>max</c> failures fall within the
/// window, further attempts from that address are refused (even with the right password) until the oldest failure
/// leaves the window. Refused attempts do not extend the block.
/// </summary>
internal sealed class AuthenticationRateLimiter
{
    private readonly int _max;
    private readonly long _windowTicks;
    private readonly ConcurrentDictionary<string, Queue<long>> _failures = new(StringComparer.Ordinal);

    public AuthenticationRateLimiter(int max, TimeSpan window)
    {
        _max = max;
        _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>False while <paramref name="source"/> has used up its failures in the window.</summary>
    public bool IsAllowed(string source)
    {
        if (_max <= 0 || !_failures.TryGetValue(source, out var queue))
        {
            return true;
        }

        lock (queue)
        {
            Prune(queue, Stopwatch.GetTimestamp());
            return queue.Count < _max;
        }
    }

    public void RecordFailure(string source)
    {
        if (_max <= 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var queue = _failures.GetOrAdd(source, static _ => new Queue<long>());
        lock (queue)
        {
            Prune(queue, now);
            queue.Enqueue(now);
        }

        if (_failures.Count > 10_000)
        {
            foreach (var (key, q) in _failures)
            {
                lock (q)
                {
                    Prune(q, now);
                    if (q.Count == 0)
                    {
                        _failures.TryRemove(key, out _);
                    }
                }
            }
        }
    }

    private void Prune(Queue<long> queue, long now)
    {
        while (queue.Count > 0 && now - queue.Peek() >= _windowTicks)
        {
            queue.Dequeue();
        }
    }
}
