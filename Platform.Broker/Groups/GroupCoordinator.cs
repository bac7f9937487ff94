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

    public GroupCoordinator(string stateDirectory, TimeSpan initialRebalanceDelay, int minSessionTimeoutMs, int maxSessionTimeoutMs, ILogger logger)
    {
        _logger = logger;
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

        var group = _groups.GetOrAdd(request.GroupId, static (id, delay) => new ConsumerGroup(id, delay), _initialRebalanceDelay);
        LogJoin(_logger, request.GroupId, request.MemberId, request.ClientId);
        return group.JoinAsync(request, Now, cancellationToken);
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
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            var now = Now;
            foreach (var group in _groups.Values)
            {
                try
                {
                    group.Tick(now);
                }
                catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException)
                {
                    LogTickFailed(_logger, group.GroupId, ex);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "JoinGroup {GroupId} member '{MemberId}' client {ClientId}")]
    private static partial void LogJoin(ILogger logger, string groupId, string memberId, string clientId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "LeaveGroup {GroupId} member '{MemberId}'")]
    private static partial void LogLeave(ILogger logger, string groupId, string memberId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Group {GroupId}: session check failed")]
    private static partial void LogTickFailed(ILogger logger, string groupId, Exception exception);
}
