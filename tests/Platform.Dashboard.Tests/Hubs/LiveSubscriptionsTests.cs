using Platform.Dashboard.Hubs;

namespace Platform.Dashboard.Tests.Hubs;

public class LiveSubscriptionsTests
{
    [Fact]
    public void WatchedHosts_FollowConnections_AndTheirClose()
    {
        var subscriptions = new LiveSubscriptions();
        Assert.True(subscriptions.WatchHost("c1", "h1"));
        Assert.False(subscriptions.WatchHost("c1", "h1"));
        subscriptions.WatchHost("c2", "h1");
        subscriptions.WatchHost("c2", "h2");
        subscriptions.WatchFleet("c2");
        Assert.Equal(2, subscriptions.WatchersOf("h1"));
        Assert.Equal(["h1", "h2"], subscriptions.WatchedHosts.Order(StringComparer.Ordinal));
        Assert.Equal(1, subscriptions.FleetWatchers);

        subscriptions.Remove("c2");
        Assert.Equal(["h1"], subscriptions.WatchedHosts);
        Assert.Equal(0, subscriptions.FleetWatchers);
        Assert.True(subscriptions.UnwatchHost("c1", "h1"));
        Assert.Empty(subscriptions.WatchedHosts);
        Assert.False(subscriptions.UnwatchHost("c1", "h1"));
    }
}
