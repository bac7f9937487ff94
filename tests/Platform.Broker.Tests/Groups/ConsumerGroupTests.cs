using System.Diagnostics;
using Platform.Broker.Groups;

namespace Platform.Broker.Tests.Groups;

public class ConsumerGroupTests
{
    private static readonly long Second = Stopwatch.Frequency;

    private static JoinGroupRequest Join(string memberId, string client, params string[] protocols) =>
        new("g", 6000, 10000, memberId, null, "consumer", protocols.Select(p => (p, new byte[] { 1 })).ToList(), client, "127.0.0.1");

    [Fact]
    public async Task Join_CompletesAtOnce_ForASingleMemberAfterTheInitialDelay()
    {
        var group = new ConsumerGroup("g", TimeSpan.Zero);

        var result = await group.JoinAsync(Join("", "c1", "range"), 0, TestContext.Current.CancellationToken);

        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(1, result.GenerationId);
        Assert.Equal(result.MemberId, result.LeaderId);
        Assert.Single(result.Members);
        Assert.Equal(GroupState.CompletingRebalance, group.State);
    }

    [Fact]
    public async Task Rebalance_WaitsForEveryKnownMember_AndSyncDeliversLeaderAssignments()
    {
        var group = new ConsumerGroup("g", TimeSpan.Zero);
        var first = await group.JoinAsync(Join("", "c1", "range", "roundrobin"), 0, TestContext.Current.CancellationToken);
        await group.SyncAsync(first.GenerationId, first.MemberId, [(first.MemberId, [9])], TestContext.Current.CancellationToken);
        Assert.Equal(GroupState.Stable, group.State);

        // A second member joins: the first learns of the rebalance from its heartbeat and rejoins.
        var secondJoin = group.JoinAsync(Join("", "c2", "roundrobin", "range"), Second, TestContext.Current.CancellationToken);
        Assert.False(secondJoin.IsCompleted);
        Assert.Equal(ErrorCode.RebalanceInProgress, group.Heartbeat(first.GenerationId, first.MemberId, Second));
        var firstRejoin = group.JoinAsync(Join(first.MemberId, "c1", "range", "roundrobin"), Second, TestContext.Current.CancellationToken);

        var a = await firstRejoin;
        var b = await secondJoin;
        Assert.Equal(2, a.GenerationId);
        Assert.Equal(a.LeaderId, b.LeaderId);
        var leader = a.MemberId == a.LeaderId ? a : b;
        var follower = leader == a ? b : a;
        Assert.Equal(2, leader.Members.Count);
        Assert.Empty(follower.Members);
        Assert.Contains(a.ProtocolName, new[] { "range", "roundrobin" });

        var followerSync = group.SyncAsync(2, follower.MemberId, [], TestContext.Current.CancellationToken);
        Assert.False(followerSync.IsCompleted);
        var leaderSync = await group.SyncAsync(2, leader.MemberId, [(leader.MemberId, [1]), (follower.MemberId, [2])], TestContext.Current.CancellationToken);
        Assert.Equal(new byte[] { 1 }, leaderSync.Assignment);
        Assert.Equal(new byte[] { 2 }, (await followerSync).Assignment);
        Assert.Equal(GroupState.Stable, group.State);
        Assert.Equal(ErrorCode.None, group.Heartbeat(2, follower.MemberId, Second));
    }

    [Fact]
    public async Task SessionTimeout_ExpelsSilentMember_AndTriggersRebalance()
    {
        var group = new ConsumerGroup("g", TimeSpan.Zero);
        var first = await group.JoinAsync(Join("", "c1", "range"), 0, TestContext.Current.CancellationToken);
        await group.SyncAsync(1, first.MemberId, [], TestContext.Current.CancellationToken);

        group.Tick(7 * Second); // 6 s session timeout passed without a heartbeat

        Assert.Equal(GroupState.Empty, group.State);
        Assert.Equal(ErrorCode.UnknownMemberId, group.Heartbeat(1, first.MemberId, 7 * Second));
    }

    [Fact]
    public async Task Leave_TriggersRebalance_ForRemainingMembers()
    {
        var group = new ConsumerGroup("g", TimeSpan.Zero);
        var a = await group.JoinAsync(Join("", "c1", "range"), 0, TestContext.Current.CancellationToken);
        var bJoin = group.JoinAsync(Join("", "c2", "range"), 0, TestContext.Current.CancellationToken);
        var aRejoin = await group.JoinAsync(Join(a.MemberId, "c1", "range"), 0, TestContext.Current.CancellationToken);
        var b = await bJoin;
        await Task.WhenAll(group.SyncAsync(2, b.MemberId, [], TestContext.Current.CancellationToken), group.SyncAsync(2, aRejoin.MemberId, [(a.MemberId, []), (b.MemberId, [])], TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCode.None, group.Leave(b.MemberId, Second));

        Assert.Equal(GroupState.PreparingRebalance, group.State);
        Assert.Equal(ErrorCode.RebalanceInProgress, group.Heartbeat(2, a.MemberId, Second));
        var again = await group.JoinAsync(Join(a.MemberId, "c1", "range"), Second, TestContext.Current.CancellationToken);
        Assert.Equal(3, again.GenerationId);
        Assert.Single(again.Members);
    }

    [Fact]
    public async Task Join_Fails_WhenNoProtocolIsShared()
    {
        var group = new ConsumerGroup("g", TimeSpan.Zero);
        await group.JoinAsync(Join("", "c1", "range"), 0, TestContext.Current.CancellationToken);

        var result = await group.JoinAsync(Join("", "c2", "cooperative-sticky"), 0, TestContext.Current.CancellationToken);

        Assert.Equal(ErrorCode.InconsistentGroupProtocol, result.Error);
    }

    [Fact]
    public async Task ValidateCommit_RejectsStaleGeneration()
    {
        var group = new ConsumerGroup("g", TimeSpan.Zero);
        var a = await group.JoinAsync(Join("", "c1", "range"), 0, TestContext.Current.CancellationToken);
        await group.SyncAsync(1, a.MemberId, [], TestContext.Current.CancellationToken);

        Assert.Equal(ErrorCode.None, group.ValidateCommit(1, a.MemberId));
        Assert.Equal(ErrorCode.IllegalGeneration, group.ValidateCommit(0, a.MemberId));
        Assert.Equal(ErrorCode.UnknownMemberId, group.ValidateCommit(1, "nobody"));
    }

    [Fact]
    public async Task ParkedJoin_IsCancelledAndItsMemberRemoved_WhenItsTokenFires_SoTheRebalanceCompletesWithoutIt()
    {
        var group = new ConsumerGroup("g", TimeSpan.FromHours(1)); // joins park until the initial delay or a Tick after it
        using var dead = new CancellationTokenSource();
        var deadJoin = group.JoinAsync(Join("", "dead", "range"), 0, dead.Token);
        var liveJoin = group.JoinAsync(Join("", "live", "range"), 0, TestContext.Current.CancellationToken);
        Assert.Equal(2, group.MemberCount);

        await dead.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => deadJoin);
        Assert.Equal(1, group.MemberCount);
        group.Tick(2 * 3600 * Second);
        var live = await liveJoin;
        Assert.Equal(ErrorCode.None, live.Error);
        Assert.Equal(live.MemberId, live.LeaderId);
        Assert.Single(live.Members);
    }

    [Fact]
    public async Task TryMarkDead_OnlyMarksAnEmptyGroup_AndAJoinThenAsksForAFreshGroup()
    {
        var ct = TestContext.Current.CancellationToken;
        var busy = new ConsumerGroup("g", TimeSpan.Zero);
        await busy.JoinAsync(Join("", "c1", "range"), 0, ct);
        Assert.False(busy.TryMarkDead());

        var empty = new ConsumerGroup("g", TimeSpan.Zero);
        Assert.True(empty.TryMarkDead());
        Assert.Same(ConsumerGroup.Removed, empty.JoinAsync(Join("", "c1", "range"), 0, ct));
    }
}
