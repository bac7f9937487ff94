using System.Collections.Concurrent;

namespace Platform.Alerting.Security;

/// <summary>
/// Limits failed logins per source address and per user name: after <see cref="Limit"/> failures within
/// <see cref="Window"/> further attempts from that address, or for that name, are refused (HTTP 429 with Retry-After)
/// until the oldest failure leaves the window. A refused attempt does not check the password at all.
/// </summary>
public sealed class LoginThrottle(TimeProvider time, int limit = 5, TimeSpan? window = null)
{
    // Bounds the memory a flood of distinct names or addresses can take; beyond it stale entries are dropped.
    private const int MaxKeys = 10_000;

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    public int Limit { get; } = limit > 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit), "must be positive");

    public TimeSpan Window { get; } = window ?? TimeSpan.FromMinutes(1);

    /// <summary>How long the caller must wait before trying again; null when it may try now.</summary>
    public TimeSpan? RetryAfter(string? address, string user)
    {
        var now = time.GetUtcNow();
        var byAddress = Wait(AddressKey(address), now);
        var byUser = Wait(UserKey(user), now);
        return byAddress is null ? byUser : byUser is null ? byAddress : TimeSpan.FromTicks(Math.Max(byAddress.Value.Ticks, byUser.Value.Ticks));
    }

    /// <summary>Counts a failed attempt against the address and the name.</summary>
    public void Failed(string? address, string user)
    {
        var now = time.GetUtcNow();
        if (_failures.Count > MaxKeys)
        {
            Prune(now);
        }

        Add(AddressKey(address), now);
        Add(UserKey(user), now);
    }

    private static string AddressKey(string? address) => "ip:" + (address ?? "unknown");

    private static string UserKey(string user) => "user:" + user.ToUpperInvariant();

    private void Add(string key, DateTimeOffset now)
    {
        var queue = _failures.GetOrAdd(key, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Expire(queue, now);
            queue.Enqueue(now);
        }
    }

    private TimeSpan? Wait(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var queue))
        {
            return null;
        }

        lock (queue)
        {
            Expire(queue, now);
            if (queue.Count < Limit)
            {
                return null;
            }

            // Free again when enough failures have left the window for the count to drop below the limit.
            var freeAt = queue.ElementAt(queue.Count - Limit) + Window;
            return freeAt - now;
        }
    }

    private void Expire(Queue<DateTimeOffset> queue, DateTimeOffset now)
    {
        while (queue.Count > 0 && queue.Peek() + Window <= now)
        {
            queue.Dequeue();
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, queue) in _failures)
        {
            lock (queue)
            {
                Expire(queue, now);
                if (queue.Count == 0)
                {
                    _failures.TryRemove(key, out _);
                }
            }
        }
    }
}
