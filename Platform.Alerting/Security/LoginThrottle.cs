using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Platform.Alerting.Security;

/// <summary>
/// Limits password checks per source address: an attempt takes one of the source's <see cref="Limit"/> slots per
/// <see cref="Window"/> <em>before</em> its password is checked (<see cref="TryBegin(string?, out LoginSlot)"/>); a
/// success gives the slot back, a failure keeps it until it leaves the window. Callers hold <see cref="LockAsync"/>
/// for the source around the attempt, so the attempts of one source are checked one after the other: a burst of
/// parallel requests gets no more than <see cref="Limit"/> wrong passwords checked and the rest are refused (HTTP 429
/// with Retry-After) without a check, while honest parallel requests wait a moment instead of being refused.
/// The limit is per source, not per user name: failures from other addresses never lock a user out. An IPv6 source
/// counts per /64 network (one host usually owns the whole prefix).
/// </summary>
public sealed class LoginThrottle(TimeProvider time, int limit = 5, TimeSpan? window = null)
{
    // Bounds the memory a flood of distinct sources can take; beyond it stale entries are dropped.
    private const int MaxKeys = 10_000;

    private readonly ConcurrentDictionary<string, List<DateTimeOffset>> _slots = new(StringComparer.Ordinal);

    // Striped: two sources may share a lock (and wait for each other a moment), but the memory stays fixed.
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public int Limit { get; } = limit > 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit), "must be positive");

    public TimeSpan Window { get; } = window ?? TimeSpan.FromMinutes(1);

    /// <summary>The throttle's key for a source address.</summary>
    public static string SourceKey(string? address)
    {
        if (address is not null && IPAddress.TryParse(address, out var ip))
        {
            if (ip.IsIPv4MappedToIPv6)
            {
                ip = ip.MapToIPv4();
            }

            if (ip.AddressFamily == AddressFamily.InterNetworkV6)
            {
                var bytes = ip.GetAddressBytes();
                Array.Clear(bytes, 8, 8);
                return "ip:" + new IPAddress(bytes) + "/64";
            }

            return "ip:" + ip;
        }

        return "ip:" + (address ?? "unknown");
    }

    /// <summary>Serialises the attempts made under one key (<see cref="SourceKey"/> or another): dispose the answer to release.</summary>
    public async ValueTask<IDisposable> LockAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var gate = _locks[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_locks.Length)];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(gate);
    }

    /// <summary>
    /// Takes a slot for an attempt from <paramref name="address"/>: null when the password may be checked now (report
    /// the outcome with <see cref="Succeeded"/> or <see cref="Failed"/>), else how long to wait (no slot taken).
    /// </summary>
    public TimeSpan? TryBegin(string? address, out LoginSlot slot) => TryBeginKey(SourceKey(address), out slot);

    /// <summary>As <see cref="TryBegin(string?, out LoginSlot)"/> for another key than a source address (a signed-in user re-entering a password).</summary>
    public TimeSpan? TryBeginKey(string key, out LoginSlot slot)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = time.GetUtcNow();
        if (_slots.Count > MaxKeys)
        {
            Prune(now);
        }

        var slots = _slots.GetOrAdd(key, _ => []);
        lock (slots)
        {
            Expire(slots, now);
            if (slots.Count >= Limit)
            {
                slot = default;

                // Free again when enough slots have left the window for the count to drop below the limit.
                return slots[slots.Count - Limit] + Window - now;
            }

            slots.Add(now);
        }

        slot = new LoginSlot(key, now);
        return null;
    }

    /// <summary>How long an attempt from <paramref name="address"/> would have to wait now; null when it may try (takes no slot).</summary>
    public TimeSpan? RetryAfter(string? address)
    {
        if (!_slots.TryGetValue(SourceKey(address), out var slots))
        {
            return null;
        }

        var now = time.GetUtcNow();
        lock (slots)
        {
            Expire(slots, now);
            return slots.Count < Limit ? null : slots[slots.Count - Limit] + Window - now;
        }
    }

    /// <summary>The password was right: the slot is given back.</summary>
    public void Succeeded(LoginSlot slot)
    {
        if (slot.Key is not null && _slots.TryGetValue(slot.Key, out var slots))
        {
            lock (slots)
            {
                slots.Remove(slot.TakenAt);
            }
        }
    }

    /// <summary>The password was wrong: the slot stays taken until it leaves the window.</summary>
#pragma warning disable CA1822 // An instance method, so that every attempt visibly ends in one of the two outcomes.
    public void Failed(LoginSlot slot) => _ = slot;
#pragma warning restore CA1822

    private void Expire(List<DateTimeOffset> slots, DateTimeOffset now)
    {
        var expired = 0;
        while (expired < slots.Count && slots[expired] + Window <= now)
        {
            expired++;
        }

        slots.RemoveRange(0, expired);
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, slots) in _slots)
        {
            lock (slots)
            {
                Expire(slots, now);
                if (slots.Count == 0)
                {
                    _slots.TryRemove(key, out _);
                }
            }
        }
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
