using System.Collections.Concurrent;
using System.Diagnostics;

namespace Platform.Broker.Security;

/// <summary>
/// Authentication attempts per source address over a sliding window. An attempt takes a slot before its password or
/// proof is checked (<see cref="TryReserve"/>); a success gives the slot back (<see cref="Release"/>), a failure keeps
/// it until it leaves the window. So at most <c>max</c> wrong passwords per window are ever checked for one address,
/// however many connections it opens at once. While the slots are used up, further attempts from that address are
/// refused (even with the right password); refused attempts take no slot.
/// </summary>
internal sealed class AuthenticationRateLimiter
{
    private readonly int _max;
    private readonly long _windowTicks;
    private readonly ConcurrentDictionary<string, List<long>> _slots = new(StringComparer.Ordinal);

    public AuthenticationRateLimiter(int max, TimeSpan window)
    {
        _max = max;
        _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>False while <paramref name="source"/> has used up its slots (takes none).</summary>
    public bool IsAllowed(string source)
    {
        if (_max <= 0 || !_slots.TryGetValue(source, out var slots))
        {
            return true;
        }

        lock (slots)
        {
            Prune(slots, Stopwatch.GetTimestamp());
            return slots.Count < _max;
        }
    }

    /// <summary>
    /// Takes an attempt slot for <paramref name="source"/>: false (and no slot) while its slots are used up. The
    /// <paramref name="slot"/> is handed back to <see cref="Release"/> when the attempt succeeds.
    /// </summary>
    public bool TryReserve(string source, out long slot)
    {
        slot = 0;
        if (_max <= 0)
        {
            return true;
        }

        var now = Stopwatch.GetTimestamp();
        var slots = _slots.GetOrAdd(source, static _ => []);
        lock (slots)
        {
            Prune(slots, now);
            if (slots.Count >= _max)
            {
                return false;
            }

            slots.Add(now);
            slot = now;
        }

        if (_slots.Count > 10_000)
        {
            Sweep(now);
        }

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
            slots.Remove(slot);
        }
    }

    /// <summary>Counts a failure that took no slot (a refused mechanism, say) against <paramref name="source"/>.</summary>
    public void RecordFailure(string source)
    {
        if (_max <= 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var slots = _slots.GetOrAdd(source, static _ => []);
        lock (slots)
        {
            Prune(slots, now);
            slots.Add(now);
        }
    }

    private void Sweep(long now)
    {
        foreach (var (key, slots) in _slots)
        {
            lock (slots)
            {
                Prune(slots, now);
                if (slots.Count == 0)
                {
                    _slots.TryRemove(key, out _);
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
}
