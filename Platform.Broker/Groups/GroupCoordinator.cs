using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Platform.Broker.Groups;

/// <summary>
/// The group coordinator of this broker (every group's coordinator, as there is one node): holds the classic-protocol
/// groups, expels members whose session expired (checked every <see cref="TickInterval"/>), and keeps committed
/// offsets in an <see cref="OffsetStore"/> that survives restarts.
/// </summary>
internal sealed partial class GroupCoordinator : IAsyncDisposable
{
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly TimeSpan _initialRebalanceDelay;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private readonly ILogger _logger;

    private readonly TimeSpan _offsetsRetention;

    public GroupCoordinator(string stateDirectory, TimeSpan initialRebalanceDelay, int minSessionTimeoutMs, int maxSessionTimeoutMs, TimeSpan offsetsRetention, ILogger logger)
    {
        _logger = logger;
        _offsetsRetention = offsetsRetention;
        _initialRebalanceDelay = initialRebalanceDelay;
        MinSessionTimeoutMs = minSessionTimeoutMs;
        MaxSessionTimeoutMs = maxSessionTimeoutMs;
        Offsets = new OffsetStore(stateDirectory, logger);
        _ticker = TickLoopAsync();
    }

    public OffsetStore Offsets { get; }

    public int MinSessionTimeoutMs { get; }

    public int MaxSessionTimeoutMs { get; }

    public static long Now => Stopwatch.GetTimestamp();

    /// <summary>Every group with members or committed offsets.</summary>
    public IReadOnlyList<(string GroupId, GroupState State, string ProtocolType)> ListGroups()
    {
        var list = new List<(string, GroupState, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, group) in _groups)
        {
            seen.Add(id);
            list.Add((id, group.State, group.ProtocolType));
        }

        foreach (var id in Offsets.Groups)
        {
            if (seen.Add(id))
            {
                list.Add((id, GroupState.Empty, "consumer"));
            }
        }

        return list;
    }

    public bool TryGetGroup(string groupId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConsumerGroup? group) =>
        _groups.TryGetValue(groupId, out group);

    /// <summary>Joins a member; <paramref name="cancellationToken"/> is the client connection's (closing it removes a parked member).</summary>
    public Task<JoinGroupResult> JoinAsync(JoinGroupRequest request, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(request.GroupId))
        {
            return Task.FromResult(JoinGroupResult.Failed(ErrorCode.InvalidGroupId, request.MemberId));
        }

        if (request.SessionTimeoutMs < MinSessionTimeoutMs || request.SessionTimeoutMs > MaxSessionTimeoutMs)
        {
            return Task.FromResult(JoinGroupResult.Failed(ErrorCode.InvalidSessionTimeout, request.MemberId));
        }

        LogJoin(_logger, request.GroupId, request.MemberId, request.ClientId);
        while (true)
        {
            var group = _groups.GetOrAdd(request.GroupId, static (id, delay) => new ConsumerGroup(id, delay), _initialRebalanceDelay);
            var joined = group.JoinAsync(request, Now, cancellationToken);
            if (joined != ConsumerGroup.Removed)
            {
                return joined;
            }

            // The group was forgotten (empty, no offsets) between the lookup and the join: start a fresh one.
            _groups.TryRemove(new KeyValuePair<string, ConsumerGroup>(request.GroupId, group));
        }
    }

    public Task<SyncGroupResult> SyncAsync(string groupId, int generationId, string memberId, IReadOnlyList<(string MemberId, byte[] Assignment)> assignments, CancellationToken cancellationToken = default) =>
        _groups.TryGetValue(groupId, out var group)
            ? group.SyncAsync(generationId, memberId, assignments, cancellationToken)
            : Task.FromResult(SyncGroupResult.Failed(ErrorCode.UnknownMemberId));

    public ErrorCode Heartbeat(string groupId, int generationId, string memberId) =>
        _groups.TryGetValue(groupId, out var group) ? group.Heartbeat(generationId, memberId, Now) : ErrorCode.UnknownMemberId;

    public ErrorCode Leave(string groupId, string memberId)
    {
        LogLeave(_logger, groupId, memberId);
        return _groups.TryGetValue(groupId, out var group) ? group.Leave(memberId, Now) : ErrorCode.UnknownMemberId;
    }

    public ErrorCode ValidateCommit(string groupId, int generationId, string memberId)
    {
        if (string.IsNullOrEmpty(groupId))
        {
            return ErrorCode.InvalidGroupId;
        }

        if (_groups.TryGetValue(groupId, out var group))
        {
            return group.ValidateCommit(generationId, memberId);
        }

        // No live group: only a "simple" commit (no generation) is accepted, as Kafka does.
        return generationId < 0 ? ErrorCode.None : ErrorCode.IllegalGeneration;
    }

    public GroupDescription Describe(string groupId)
    {
        if (_groups.TryGetValue(groupId, out var group))
        {
            return group.Describe();
        }

        var state = Offsets.GetAll(groupId).Count > 0 ? GroupState.Empty : GroupState.Dead;
        return new GroupDescription(groupId, state, state == GroupState.Dead ? "" : "consumer", "", 0, []);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _ticker;
        }
        catch (OperationCanceledException)
        {
        }

        await Offsets.PersistAsync();
        Offsets.Dispose();
        _stop.Dispose();
    }

    private async Task TickLoopAsync()
    {
        using var timer = new PeriodicTimer(TickInterval);
        var expiryEvery = (int)Math.Clamp(_offsetsRetention.Ticks / 4 / TickInterval.Ticks, 1, 600); // a quarter of the retention, at most a minute
        var ticks = 0;
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            var now = Now;
            foreach (var (id, group) in _groups)
            {
                try
                {
                    group.Tick(now);
                }
                catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException)
                {
                    LogTickFailed(_logger, group.GroupId, ex);
                }

                ForgetIfEmpty(id, group);
            }

            if (++ticks % expiryEvery == 0)
            {
                await ExpireAsync();
            }
        }
    }

    /// <summary>Drops committed offsets of groups with no members once <see cref="BrokerOptions.OffsetsRetention"/> has passed.</summary>
    internal async Task ExpireAsync()
    {
        var removed = Offsets.Expire(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), (long)_offsetsRetention.TotalMilliseconds,
            id => _groups.TryGetValue(id, out var g) ? (g.MemberCount > 0, g.EmptySinceMs) : (false, null));
        if (removed == 0)
        {
            return;
        }

        LogExpired(_logger, removed, _offsetsRetention);
        try
        {
            await Offsets.PersistAsync(_stop.Token);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogPersistFailed(_logger, ex.Message);
        }
    }

    /// <summary>
    /// Forgets a group that is empty, has no members and no committed offsets (so group state does not only grow);
    /// checked for each group in the same walk as its session timeouts.
    /// </summary>
    private void ForgetIfEmpty(string id, ConsumerGroup group)
    {
        if (group.State == GroupState.Empty && group.MemberCount == 0 && !Offsets.HasOffsets(id) && group.TryMarkDead())
        {
            _groups.TryRemove(new KeyValuePair<string, ConsumerGroup>(id, group));
            LogForgotten(_logger, id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} committed offsets of groups empty for more than {Retention} (OffsetsRetention)")]
    private static partial void LogExpired(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not persist committed offsets after expiring some: {Reason}")]
    private static partial void LogPersistFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Group {GroupId} is empty with no committed offsets: forgotten")]
    private static partial void LogForgotten(ILogger logger, string groupId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "JoinGroup {GroupId} member '{MemberId}' client {ClientId}")]
    private static partial void LogJoin(ILogger logger, string groupId, string memberId, string clientId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "LeaveGroup {GroupId} member '{MemberId}'")]
    private static partial void LogLeave(ILogger logger, string groupId, string memberId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Group {GroupId}: session check failed")]
    private static partial void LogTickFailed(ILogger logger, string groupId, Exception exception);
}
