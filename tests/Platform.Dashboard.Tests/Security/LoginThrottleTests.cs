using Platform.Alerting.Security;

namespace Platform.Dashboard.Tests.Security;

public class LoginThrottleTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void LoginThrottle_RefusesAfterFiveFailures_UntilTheOldestLeavesTheMinute()
    {
        var throttle = new LoginThrottle(_clock);
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(throttle.TryBegin("10.0.0.1", out var slot));
            throttle.Failed(slot);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        // The first failure was 5 s ago: it leaves the window in 55 s.
        Assert.Equal(TimeSpan.FromSeconds(55), throttle.TryBegin("10.0.0.1", out _));
        Assert.Equal(TimeSpan.FromSeconds(55), throttle.RetryAfter("10.0.0.1"));
        _clock.Advance(TimeSpan.FromSeconds(55));
        Assert.Null(throttle.TryBegin("10.0.0.1", out _));
    }

    [Fact]
    public void LoginThrottle_AttemptsInFlight_CountBeforeTheirOutcome()
    {
        var throttle = new LoginThrottle(_clock);
        var slots = new List<LoginSlot>();
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(throttle.TryBegin("10.0.0.1", out var slot));
            slots.Add(slot);
        }

        // Five attempts still being checked: a sixth is refused before any of them has failed.
        Assert.NotNull(throttle.TryBegin("10.0.0.1", out _));

        // A success gives its slot back.
        throttle.Succeeded(slots[0]);
        Assert.Null(throttle.TryBegin("10.0.0.1", out _));
    }

    [Fact]
    public void LoginThrottle_CountsPerSource_SoOthersCannotLockAUserOut()
    {
        var throttle = new LoginThrottle(_clock);
        for (var i = 0; i < 5; i++)
        {
            throttle.TryBegin("10.0.0.1", out var slot);
            throttle.Failed(slot);
        }

        Assert.NotNull(throttle.TryBegin("10.0.0.1", out _));
        Assert.Null(throttle.TryBegin("10.0.0.2", out _));

        // Failures for "admin" from many addresses do not refuse admin's own address.
        for (var i = 0; i < 20; i++)
        {
            throttle.TryBegin("10.1.0." + i, out var slot);
            throttle.Failed(slot);
        }

        Assert.Null(throttle.TryBegin("10.9.9.9", out _));
    }

    [Fact]
    public void LoginThrottle_CountsAnIpv6SourcePerSlash64()
    {
        var throttle = new LoginThrottle(_clock);
        for (var i = 1; i <= 5; i++)
        {
            throttle.TryBegin("2001:db8:1:2::" + i, out var slot);
            throttle.Failed(slot);
        }

        Assert.NotNull(throttle.TryBegin("2001:db8:1:2:ffff::9", out _));
        Assert.Null(throttle.TryBegin("2001:db8:1:3::1", out _));
        Assert.Equal(LoginThrottle.SourceKey("192.0.2.1"), LoginThrottle.SourceKey("::ffff:192.0.2.1"));
    }
}
