using Platform.Dashboard.Components.Pages.Broker;
using Platform.Dashboard.Services;

namespace Platform.Dashboard.Tests.Services;

public class BrokerViewTests
{
    [Fact]
    public void GroupLag_IsEndMinusCommitted_AndAllOfTheLogWhenNothingIsCommitted()
    {
        Assert.Equal(4, new GroupLagView("metrics", 0, 6, 10).Lag);
        Assert.Equal(10, new GroupLagView("metrics", 0, null, 10).Lag);
        Assert.Equal(0, new GroupLagView("metrics", 0, 12, 10).Lag);
        var group = new GroupView("g", "Stable", [], [new GroupLagView("metrics", 0, 6, 10), new GroupLagView("metrics", 1, 1, 3)]);
        Assert.Equal(6, group.TotalLag);
    }

    [Fact]
    public void TopicView_SumsRecordsAndSizes_OfItsPartitions()
    {
        var topic = new TopicView("metrics", [new PartitionView(0, 1, 2, 10, 100), new PartitionView(1, 1, 0, 5, 50)], 604_800_000);
        Assert.Equal(13, topic.Messages);
        Assert.Equal(150, topic.SizeBytes);
        Assert.Null(new TopicView("t", [new PartitionView(0, 1, 0, 1, null)], null).SizeBytes);
        Assert.Equal("7 d", BrokerPage.Retention(604_800_000));
        Assert.Equal("forever", BrokerPage.Retention(-1));
        Assert.Equal("–", BrokerPage.Retention(null));
    }
}
