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
            Assert.Null(throttle.RetryAfter("10.0.0.1", "ann"));
            throttle.Failed("10.0.0.1", "ann");
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        // The first failure was 5 s ago: it leaves the window in 55 s.
        Assert.Equal(TimeSpan.FromSeconds(55), throttle.RetryAfter("10.0.0.1", "ann"));
        _clock.Advance(TimeSpan.FromSeconds(55));
        Assert.Null(throttle.RetryAfter("10.0.0.1", "ann"));
    }

    [Fact]
    public void LoginThrottle_CountsPerAddress_AndPerUserName()
    {
        var throttle = new LoginThrottle(_clock);
        for (var i = 0; i < 5; i++)
        {
            throttle.Failed("10.0.0.1", "user" + i);
        }

        Assert.NotNull(throttle.RetryAfter("10.0.0.1", "someone-else"));
        Assert.Null(throttle.RetryAfter("10.0.0.2", "someone-else"));

        for (var i = 0; i < 5; i++)
        {
            throttle.Failed("10.1.0." + i, "Ann");
        }

        Assert.NotNull(throttle.RetryAfter("10.9.9.9", "ann"));
    }
}
