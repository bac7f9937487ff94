namespace Platform.Broker.Network;

/// <summary>
/// The broker-wide budget of request bytes read and not yet answered (Kafka's queued.max.request.bytes): a
/// connection reserves a frame's size from its 4-byte header before buffering the body and gives it back once the
/// answer is written, so N connections × M in-flight requests × the frame limit can never all be held in memory.
/// A reservation waits while the budget is spent; one frame is always admitted when nothing is reserved, so a frame
/// larger than the budget (but within MaxFrameBytes) still gets through, alone.
/// </summary>
internal sealed class RequestByteBudget
{
    private readonly Lock _lock = new();
    private readonly long _limit;
    private long _used;
    private bool _waiting; // a reservation waits on _released
    private TaskCompletionSource _released = NewSignal();

    public RequestByteBudget(long limit)
    {
        _limit = limit;
    }

    /// <summary>The budget; 0 or less: no limit.</summary>
    public long Limit => _limit;

    /// <summary>Bytes currently reserved.</summary>
    public long Used
    {
        get
        {
            lock (_lock)
            {
                return _used;
            }
        }
    }

    /// <summary>Reserves <paramref name="bytes"/>, waiting for other requests to be answered while the budget is spent.</summary>
    public async ValueTask ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task released;
            lock (_lock)
            {
                if (_limit <= 0 || _used == 0 || _used + bytes <= _limit)
                {
                    _used += bytes;
                    return;
                }

                _waiting = true;
                released = _released.Task;
            }

            await released.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Takes <paramref name="bytes"/> at once, even past the limit (for bytes already in memory).</summary>
    public void Take(long bytes)
    {
        lock (_lock)
        {
            _used += bytes;
        }
    }

    public void Release(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        TaskCompletionSource signal;
        lock (_lock)
        {
            _used -= bytes;
            if (!_waiting)
            {
                return; // nobody waits (the usual case): no signal to complete or replace
            }

            _waiting = false;
            signal = _released;
            _released = NewSignal();
        }

        signal.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
