using Platform.Broker.Network;

namespace Platform.Broker.Tests.Protocol;

public class RequestByteBudgetTests
{
    [Fact]
    public async Task ReserveAsync_WaitsWhileTheBudgetIsSpent_AndProceedsOnRelease()
    {
        var ct = TestContext.Current.CancellationToken;
        var budget = new RequestByteBudget(100);
        await budget.ReserveAsync(60, ct);

        var second = budget.ReserveAsync(60, ct).AsTask();
        Assert.False(second.IsCompleted);

        budget.Release(60);
        await second.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(60, budget.Used);
    }

    [Fact]
    public async Task ReserveAsync_AdmitsOneFrameLargerThanTheBudget_WhenNothingIsReserved()
    {
        var ct = TestContext.Current.CancellationToken;
        var budget = new RequestByteBudget(100);

        await budget.ReserveAsync(500, ct);

        Assert.Equal(500, budget.Used);
        Assert.False(budget.ReserveAsync(1, ct).AsTask().IsCompleted);
    }
}
