using System.Diagnostics;

namespace Platform.Broker.Groups;

/// <summary>
/// One classic-protocol group: Empty → PreparingRebalance → CompletingRebalance → Stable. JoinGroup parks each
/// member until every known member has rejoined (or the rebalance timeout passes), then elects the protocol every
/// member supports, names a leader and hands it the member list; SyncGroup carries the leader's assignment to all.
/// Every method takes the group's lock; waiters complete asynchronously, never under the lock's callers.
/// </summary>
internal sealed class ConsumerGroup
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, GroupMember> _members = new(StringComparer.Ordinal);
    private readonly TimeSpan _initialRebalanceDelay;
    private long _rebalanceDeadlineTicks;
    private long _joinNotBeforeTicks;

    public ConsumerGroup(string groupId, TimeSpan initialRebalanceDelay)
    {
        GroupId = groupId;
        _initialRebalanceDelay = initialRebalanceDelay;
    }

    public string GroupId { get; }

    public GroupState State { get; private set; } = GroupState.Empty;

    public int GenerationId { get; private set; }

    public string ProtocolType { get; private set; } = "";

    public string? ProtocolName { get; private set; }

    public string? LeaderId { get; private set; }

    /// <summary>When (Unix ms) the group last became empty (or was created); its offsets' retention counts from here.</summary>
    public long EmptySinceMs { get; private set; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Returned by <see cref="JoinAsync"/> when the group was just removed: join a fresh one instead.</summary>
    internal static Task<JoinGroupResult> Removed { get; } = Task.FromResult(JoinGroupResult.Failed(ErrorCode.CoordinatorNotAvailable, ""));

    /// <summary>Marks an empty group with no members dead (the coordinator then forgets it); false when it is in use.</summary>
    public bool TryMarkDead()
    {
        lock (_lock)
        {
            if (State != GroupState.Empty || _members.Count != 0)
            {
                return State == GroupState.Dead;
            }

            State = GroupState.Dead;
            return true;
        }
    }

    public int MemberCount
    {
        get
        {
            lock (_lock)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>
    /// Joins (or rejoins) and parks until the rebalance completes. When <paramref name="cancellationToken"/> fires first
    /// (the client's connection closed), the member is removed, so the rebalance completes without it, and the task is
    /// cancelled.
    /// </summary>
    public Task<JoinGroupResult> JoinAsync(JoinGroupRequest request, long nowTicks, CancellationToken cancellationToken = default)
    {
        var task = Join(request, nowTicks, out var member, out var waiter);
        if (cancellationToken.CanBeCanceled && !task.IsCompleted && member is not null && waiter is not null)
        {
            var registration = cancellationToken.UnsafeRegister(
                static state =>
                {
                    var (group, m, w) = ((ConsumerGroup, GroupMember, TaskCompletionSource<JoinGroupResult>))state!;
                    group.CancelJoin(m, w);
                },
                (this, member, waiter));
            DisposeWhenDone(task, registration);
        }

        return task;
    }

    private Task<JoinGroupResult> Join(JoinGroupRequest request, long nowTicks, out GroupMember? parked, out TaskCompletionSource<JoinGroupResult>? parkedWaiter)
    {
        parked = null;
        parkedWaiter = null;
        lock (_lock)
        {
            if (State == GroupState.Dead)
            {
                return Removed;
            }

            if (request.Protocols.Count == 0 || string.IsNullOrEmpty(request.ProtocolType))
            {
                return Task.FromResult(JoinGroupResult.Failed(ErrorCode.InconsistentGroupProtocol, request.MemberId));
            }

            if (_members.Count > 0 && (request.ProtocolType != ProtocolType || !SharesProtocol(request.Protocols, request.MemberId)))
            {
                return Task.FromResult(JoinGroupResult.Failed(ErrorCode.InconsistentGroupProtocol, request.MemberId));
            }

            GroupMember? member;
            if (request.MemberId.Length == 0)
            {
                // A new member gets its id at once (no MEMBER_ID_REQUIRED round trip).
                var memberId = $"{request.ClientId}-{Guid.NewGuid():N}";
                member = new GroupMember(memberId, request.GroupInstanceId, request.ClientId, request.ClientHost);
                _members[memberId] = member;
            }
            else if (!_members.TryGetValue(request.MemberId, out member))
            {
                return Task.FromResult(JoinGroupResult.Failed(ErrorCode.UnknownMemberId, request.MemberId));
            }

            member.SessionTimeoutMs = request.SessionTimeoutMs;
            member.RebalanceTimeoutMs = request.RebalanceTimeoutMs;
            member.ProtocolType = request.ProtocolType;
            member.Protocols = request.Protocols;
            member.LastHeartbeatTicks = nowTicks;
            member.JoinWaiter?.TrySetResult(JoinGroupResult.Failed(ErrorCode.RebalanceInProgress, member.MemberId));
            var waiter = new TaskCompletionSource<JoinGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            member.JoinWaiter = waiter;
            ProtocolType = request.ProtocolType;

            if (State != GroupState.PreparingRebalance)
            {
                BeginRebalance(nowTicks);
            }

            TryCompleteJoin(nowTicks);
            parked = member;
            parkedWaiter = waiter;
            return waiter.Task;
        }
    }

    /// <summary>A parked JoinGroup whose client went away: the member leaves the group (and the pending rebalance).</summary>
    private void CancelJoin(GroupMember member, TaskCompletionSource<JoinGroupResult> waiter)
    {
        lock (_lock)
        {
            if (member.JoinWaiter != waiter)
            {
                return; // already answered
            }

            member.JoinWaiter = null;
            if (_members.TryGetValue(member.MemberId, out var current) && current == member)
            {
                RemoveMember(member, Stopwatch.GetTimestamp());
            }
        }

        waiter.TrySetCanceled();
    }

    /// <summary>
    /// Waits for the leader's assignment. When <paramref name="cancellationToken"/> fires first (the client's connection
    /// closed), the wait is dropped and the task cancelled; the member then expires at its session timeout unless it
    /// comes back.
    /// </summary>
    public Task<SyncGroupResult> SyncAsync(int generationId, string memberId, IReadOnlyList<(string MemberId, byte[] Assignment)> assignments, CancellationToken cancellationToken = default)
    {
        var task = Sync(generationId, memberId, assignments, out var member, out var waiter);
        if (cancellationToken.CanBeCanceled && !task.IsCompleted && member is not null && waiter is not null)
        {
            var registration = cancellationToken.UnsafeRegister(
                static state =>
                {
                    var (group, m, w) = ((ConsumerGroup, GroupMember, TaskCompletionSource<SyncGroupResult>))state!;
                    group.CancelSync(m, w);
                },
                (this, member, waiter));
            DisposeWhenDone(task, registration);
        }

        return task;
    }

    private void CancelSync(GroupMember member, TaskCompletionSource<SyncGroupResult> waiter)
    {
        lock (_lock)
        {
            if (member.SyncWaiter != waiter)
            {
                return;
            }

            member.SyncWaiter = null;
        }

        waiter.TrySetCanceled();
    }

    private static void DisposeWhenDone(Task task, CancellationTokenRegistration registration) =>
        task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private Task<SyncGroupResult> Sync(int generationId, string memberId, IReadOnlyList<(string MemberId, byte[] Assignment)> assignments, out GroupMember? parked, out TaskCompletionSource<SyncGroupResult>? parkedWaiter)
    {
        parked = null;
        parkedWaiter = null;
        lock (_lock)
        {
            if (!_members.TryGetValue(memberId, out var member))
            {
                return Task.FromResult(SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
            }

            if (generationId != GenerationId)
            {
                return Task.FromResult(SyncGroupResult.Failed(ErrorCode.IllegalGeneration));
            }

            switch (State)
            {
                case GroupState.PreparingRebalance:
                    return Task.FromResult(SyncGroupResult.Failed(ErrorCode.RebalanceInProgress));
                case GroupState.Stable:
                    return Task.FromResult(new SyncGroupResult(ErrorCode.None, ProtocolType, ProtocolName, member.Assignment));
                case GroupState.CompletingRebalance:
                    break;
                default:
                    return Task.FromResult(SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
            }

            member.SyncWaiter?.TrySetResult(SyncGroupResult.Failed(ErrorCode.RebalanceInProgress));
            var waiter = new TaskCompletionSource<SyncGroupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            member.SyncWaiter = waiter;
            if (memberId == LeaderId)
            {
                foreach (var m in _members.Values)
                {
                    m.Assignment = [];
                }

                foreach (var (id, assignment) in assignments)
                {
                    if (_members.TryGetValue(id, out var target))
                    {
                        target.Assignment = assignment;
                    }
                }

                State = GroupState.Stable;
                foreach (var m in _members.Values)
                {
                    if (m.SyncWaiter is { } w)
                    {
                        m.SyncWaiter = null;
                        w.TrySetResult(new SyncGroupResult(ErrorCode.None, ProtocolType, ProtocolName, m.Assignment));
                    }
                }
            }

            parked = member;
            parkedWaiter = waiter;
            return waiter.Task;
        }
    }

    public ErrorCode Heartbeat(int generationId, string memberId, long nowTicks)
    {
        lock (_lock)
        {
            if (!_members.TryGetValue(memberId, out var member))
            {
                return ErrorCode.UnknownMemberId;
            }

            member.LastHeartbeatTicks = nowTicks;
            if (State == GroupState.PreparingRebalance)
            {
                return ErrorCode.RebalanceInProgress;
            }

            return generationId != GenerationId ? ErrorCode.IllegalGeneration : ErrorCode.None;
        }
    }

    public ErrorCode Leave(string memberId, long nowTicks)
    {
        lock (_lock)
        {
            if (!_members.TryGetValue(memberId, out var member))
            {
                return ErrorCode.UnknownMemberId;
            }

            RemoveMember(member, nowTicks);
            return ErrorCode.None;
        }
    }

    /// <summary>Whether a member may commit offsets now (Kafka's rules: generation -1 with no member id only for an empty group).</summary>
    public ErrorCode ValidateCommit(int generationId, string memberId)
    {
        lock (_lock)
        {
            if (generationId < 0 && memberId.Length == 0)
            {
                return _members.Count == 0 ? ErrorCode.None : ErrorCode.IllegalGeneration;
            }

            if (State == GroupState.CompletingRebalance)
            {
                return ErrorCode.RebalanceInProgress;
            }

            if (!_members.ContainsKey(memberId))
            {
                return ErrorCode.UnknownMemberId;
            }

            return generationId != GenerationId ? ErrorCode.IllegalGeneration : ErrorCode.None;
        }
    }

    /// <summary>Expels members whose session expired and completes a rebalance whose deadline passed.</summary>
    public void Tick(long nowTicks)
    {
        lock (_lock)
        {
            List<GroupMember>? expired = null;
            foreach (var m in _members.Values)
            {
                if (m.JoinWaiter is null && m.SyncWaiter is null && nowTicks - m.LastHeartbeatTicks > m.SessionTimeoutMs * Stopwatch.Frequency / 1000)
                {
                    (expired ??= []).Add(m);
                }
            }

            if (expired is not null)
            {
                foreach (var m in expired)
                {
                    RemoveMember(m, nowTicks);
                }
            }

            if (State == GroupState.PreparingRebalance)
            {
                TryCompleteJoin(nowTicks);
            }
        }
    }

    public GroupDescription Describe()
    {
        lock (_lock)
        {
            var members = new List<GroupMemberDescription>(_members.Count);
            foreach (var m in _members.Values)
            {
                var metadata = ProtocolName is null ? [] : m.MetadataFor(ProtocolName) ?? [];
                members.Add(new GroupMemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost, metadata,
                    State == GroupState.Stable ? m.Assignment : []));
            }

            return new GroupDescription(GroupId, State, ProtocolType, State == GroupState.Stable ? ProtocolName ?? "" : "", GenerationId, members);
        }
    }

    private bool SharesProtocol(IReadOnlyList<(string Name, byte[] Metadata)> protocols, string memberId)
    {
        foreach (var (name, _) in protocols)
        {
            var all = true;
            foreach (var m in _members.Values)
            {
                if (m.MemberId != memberId && m.MetadataFor(name) is null)
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }

    private void BeginRebalance(long nowTicks)
    {
        if (State == GroupState.CompletingRebalance)
        {
            foreach (var m in _members.Values)
            {
                if (m.SyncWaiter is { } w)
                {
                    m.SyncWaiter = null;
                    w.TrySetResult(SyncGroupResult.Failed(ErrorCode.RebalanceInProgress));
                }
            }
        }

        var maxRebalanceMs = 0;
        foreach (var m in _members.Values)
        {
            maxRebalanceMs = Math.Max(maxRebalanceMs, m.RebalanceTimeoutMs);
        }

        _joinNotBeforeTicks = State == GroupState.Empty ? nowTicks + (long)(_initialRebalanceDelay.TotalSeconds * Stopwatch.Frequency) : 0;
        _rebalanceDeadlineTicks = nowTicks + (maxRebalanceMs * Stopwatch.Frequency / 1000);
        State = GroupState.PreparingRebalance;
    }

    private void RemoveMember(GroupMember member, long nowTicks)
    {
        _members.Remove(member.MemberId);
        member.JoinWaiter?.TrySetResult(JoinGroupResult.Failed(ErrorCode.UnknownMemberId, member.MemberId));
        member.SyncWaiter?.TrySetResult(SyncGroupResult.Failed(ErrorCode.UnknownMemberId));
        member.JoinWaiter = null;
        member.SyncWaiter = null;
        if (member.MemberId == LeaderId)
        {
            LeaderId = null;
        }

        switch (State)
        {
            case GroupState.Stable or GroupState.CompletingRebalance:
                if (_members.Count == 0)
                {
                    GoEmpty();
                }
                else
                {
                    BeginRebalance(nowTicks);
                }

                break;
            case GroupState.PreparingRebalance:
                if (_members.Count == 0)
                {
                    GoEmpty();
                }
                else
                {
                    TryCompleteJoin(nowTicks);
                }

                break;
        }
    }

    private void GoEmpty()
    {
        State = GroupState.Empty;
        EmptySinceMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        GenerationId++;
        ProtocolName = null;
        LeaderId = null;
    }

    private void TryCompleteJoin(long nowTicks)
    {
        if (State != GroupState.PreparingRebalance || nowTicks < _joinNotBeforeTicks)
        {
            return;
        }

        var allJoined = true;
        foreach (var m in _members.Values)
        {
            if (m.JoinWaiter is null)
            {
                allJoined = false;
                break;
            }
        }

        if (!allJoined && nowTicks < _rebalanceDeadlineTicks)
        {
            return;
        }

        // Members that did not rejoin in time are out.
        List<GroupMember>? late = null;
        foreach (var m in _members.Values)
        {
            if (m.JoinWaiter is null)
            {
                (late ??= []).Add(m);
            }
        }

        if (late is not null)
        {
            foreach (var m in late)
            {
                _members.Remove(m.MemberId);
                if (m.MemberId == LeaderId)
                {
                    LeaderId = null;
                }
            }
        }

        if (_members.Count == 0)
        {
            GoEmpty();
            return;
        }

        GenerationId++;
        ProtocolName = SelectProtocol();
        if (LeaderId is null || !_members.ContainsKey(LeaderId))
        {
            LeaderId = _members.Keys.First();
        }

        State = GroupState.CompletingRebalance;
        var memberList = new List<JoinGroupMember>(_members.Count);
        foreach (var m in _members.Values)
        {
            memberList.Add(new JoinGroupMember(m.MemberId, m.GroupInstanceId, m.MetadataFor(ProtocolName) ?? []));
        }

        foreach (var m in _members.Values)
        {
            var waiter = m.JoinWaiter!;
            m.JoinWaiter = null;
            m.LastHeartbeatTicks = nowTicks;
            waiter.TrySetResult(new JoinGroupResult(ErrorCode.None, GenerationId, ProtocolType, ProtocolName, LeaderId, m.MemberId,
                m.MemberId == LeaderId ? memberList : []));
        }
    }

    private string SelectProtocol()
    {
        // Candidates: protocols every member supports; each member votes for its most preferred candidate.
        var leader = _members[LeaderId ?? _members.Keys.First()];
        string? best = null;
        var bestVotes = -1;
        foreach (var (candidate, _) in leader.Protocols)
        {
            var supported = true;
            foreach (var m in _members.Values)
            {
                if (m.MetadataFor(candidate) is null)
                {
                    supported = false;
                    break;
                }
            }

            if (!supported)
            {
                continue;
            }

            var votes = 0;
            foreach (var m in _members.Values)
            {
                foreach (var (name, _) in m.Protocols)
                {
                    if (leader.MetadataFor(name) is not null && IsSupportedByAll(name))
                    {
                        if (name == candidate)
                        {
                            votes++;
                        }

                        break;
                    }
                }
            }

            if (votes > bestVotes)
            {
                best = candidate;
                bestVotes = votes;
            }
        }

        return best ?? leader.Protocols[0].Name;
    }

    private bool IsSupportedByAll(string protocol)
    {
        foreach (var m in _members.Values)
        {
            if (m.MetadataFor(protocol) is null)
            {
                return false;
            }
        }

        return true;
    }
}
