using System.Collections.Concurrent;
using System.Diagnostics;

namespace Platform.Broker.Security;

/// <summary>
/// Authentication attempts per source address over a sliding window. An attempt takes a slot before its password or
/// proof is checked (<see cref="TryReserve(string, out long)"/>); a success gives the slot back (<see cref="Release"/>), a failure keeps
/// it until it leaves the window. So at most <c>max</c> wrong passwords per window are ever checked for one address,
/// however many connections it opens at once. While the slots are used up, further attempts from that address are
/// refused (even with the right password); refused attempts take no slot.
/// </summary>
internal sealed class AuthenticationRateLimiter
{
    /// <summary>Above this many tracked addresses, addresses with no slot left in the window are dropped.</summary>
    internal const int SweepThreshold = 10_000;

    private readonly int _max;
    private readonly long _windowTicks;
    private readonly ConcurrentDictionary<string, Slots> _slots = new(StringComparer.Ordinal);
    private long _lastSweepTicks = Stopwatch.GetTimestamp();

    public AuthenticationRateLimiter(int max, TimeSpan window)
    {
        _max = max;
        _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Test seam: runs between looking up an address's slots and locking them (where a sweep may drop them).</summary>
    internal Action? BeforeLock { get; set; }

    /// <summary>Addresses tracked now.</summary>
    internal int TrackedSources => _slots.Count;

    /// <summary>False while <paramref name="source"/> has used up its slots (takes none).</summary>
    public bool IsAllowed(string source)
    {
        if (_max <= 0 || !_slots.TryGetValue(source, out var slots))
        {
            return true;
        }

        lock (slots)
        {
            Prune(slots.Times, Stopwatch.GetTimestamp());
            return slots.Times.Count < _max;
        }
    }

    /// <summary>
    /// Takes an attempt slot for <paramref name="source"/>: false (and no slot) while its slots are used up. The
    /// <paramref name="slot"/> is handed back to <see cref="Release"/> when the attempt succeeds.
    /// </summary>
    public bool TryReserve(string source, out long slot) => TryReserve(source, Stopwatch.GetTimestamp(), out slot);

    internal bool TryReserve(string source, long now, out long slot)
    {
        slot = 0;
        if (_max <= 0)
        {
            return true;
        }

        if (!Take(source, now, _max))
        {
            return false;
        }

        slot = now;
        return true;
    }

    /// <summary>Gives back the slot of an attempt that succeeded.</summary>
    public void Release(string source, long slot)
    {
        if (_max <= 0 || !_slots.TryGetValue(source, out var slots))
        {
            return;
        }

        lock (slots)
        {
            slots.Times.Remove(slot);
        }
    }

    /// <summary>Counts a failure that took no slot (a refused mechanism, say) against <paramref name="source"/>.</summary>
    public void RecordFailure(string source)
    {
        if (_max > 0)
        {
            _ = Take(source, Stopwatch.GetTimestamp(), int.MaxValue); // a failure always counts
        }
    }

    /// <summary>Adds a slot at <paramref name="now"/> for <paramref name="source"/> unless it already holds <paramref name="limit"/>.</summary>
    private bool Take(string source, long now, int limit)
    {
        while (true)
        {
            var slots = _slots.GetOrAdd(source, static _ => new Slots());
            BeforeLock?.Invoke();
            lock (slots)
            {
                if (slots.Removed)
                {
                    continue; // swept away meanwhile: a slot taken here would count for nobody
                }

                Prune(slots.Times, now);
                if (slots.Times.Count >= limit)
                {
                    return false;
                }

                slots.Times.Add(now);
                break;
            }
        }

        SweepIfDue(now);
        return true;
    }

    /// <summary>Drops addresses with no slot in the window once many are tracked, at most once a second (one thread).</summary>
    private void SweepIfDue(long now)
    {
        var last = Volatile.Read(ref _lastSweepTicks);
        if (_slots.Count > SweepThreshold && now - last >= Stopwatch.Frequency
            && Interlocked.CompareExchange(ref _lastSweepTicks, now, last) == last)
        {
            Sweep(now);
        }
    }

    /// <summary>Drops the addresses with no slot left in the window; each is marked removed under its lock.</summary>
    internal void Sweep(long now)
    {
        foreach (var (key, slots) in _slots)
        {
            lock (slots)
            {
                Prune(slots.Times, now);
                if (slots.Times.Count == 0)
                {
                    slots.Removed = true;
                    _slots.TryRemove(new KeyValuePair<string, Slots>(key, slots));
                }
            }
        }
    }

    // The slots are in time order (taken under the lock with a monotonic clock), so the expired ones lead.
    private void Prune(List<long> slots, long now)
    {
        var expired = 0;
        while (expired < slots.Count && now - slots[expired] >= _windowTicks)
        {
            expired++;
        }

        slots.RemoveRange(0, expired);
    }

    /// <summary>One address's attempt times; <see cref="Removed"/> once swept out of the table (under its lock).</summary>
    private sealed class Slots
    {
        public List<long> Times { get; } = [];

        public bool Removed { get; set; }
    }
}
