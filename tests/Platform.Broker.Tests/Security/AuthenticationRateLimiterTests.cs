using System.Diagnostics;
using Platform.Broker.Security;

namespace Platform.Broker.Tests.Security;

public class AuthenticationRateLimiterTests
{
    [Fact]
    public void TryReserve_CountsTheAttempt_WhenASweepDropsTheAddressBetweenLookupAndLock()
    {
        var limiter = new AuthenticationRateLimiter(1, TimeSpan.FromSeconds(60));
        var now = Stopwatch.GetTimestamp();
        var sweeps = 0;
        limiter.BeforeLock = () =>
        {
            if (sweeps++ == 0)
            {
                limiter.Sweep(now); // the address's list is still empty: it is dropped while the attempt holds it
            }
        };

        Assert.True(limiter.TryReserve("10.0.0.1", now, out _));

        Assert.Equal(2, sweeps); // the attempt retried on a fresh list
        Assert.False(limiter.IsAllowed("10.0.0.1")); // and its slot counts: the one allowed attempt is used
        Assert.False(limiter.TryReserve("10.0.0.1", now, out _));
    }

    [Fact]
    public void Sweep_DropsOnlyAddressesWithNoSlotInTheWindow()
    {
        var limiter = new AuthenticationRateLimiter(5, TimeSpan.FromSeconds(1));
        var start = Stopwatch.GetTimestamp();
        Assert.True(limiter.TryReserve("old", start, out _));
        Assert.True(limiter.TryReserve("new", start + (2 * Stopwatch.Frequency), out _));

        limiter.Sweep(start + (2 * Stopwatch.Frequency));

        Assert.Equal(1, limiter.TrackedSources);
        Assert.True(limiter.TryReserve("old", start + (2 * Stopwatch.Frequency), out _));
        Assert.Equal(2, limiter.TrackedSources);
    }
}
