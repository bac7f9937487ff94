namespace Platform.Broker.Network;

/// <summary>
/// Bytes of Fetch answers built and not yet handed to the socket, over every connection, the most ever held at once,
/// and the broker-wide budget they are built within (<see cref="BrokerOptions.MaxQueuedFetchBytes"/>). A Fetch with
/// something to answer reserves its answer's cap before building it (waiting while the budget is spent, so clients
/// that do not read their answers cannot make the broker hold more than the budget), keeps what the answer really
/// takes and gives that back once the answer is sent. A connection answers one Fetch at a time (the next waits until
/// the previous answer is written), so one connection holds at most one answer however many Fetches it pipelines.
/// </summary>
internal sealed class ResponseByteGauge
{
    private readonly RequestByteBudget _budget;
    private long _held;
    private long _peak;

    public ResponseByteGauge(long limit)
    {
        _budget = new RequestByteBudget(limit);
    }

    /// <summary>Bytes of answers built and not yet sent.</summary>
    public long Held => Volatile.Read(ref _held);

    /// <summary>The most <see cref="Held"/> has been.</summary>
    public long Peak => Volatile.Read(ref _peak);

    /// <summary>Bytes of the budget taken: answers held plus reservations of answers being built.</summary>
    public long Reserved => _budget.Used;

    /// <summary>
    /// Reserves room for an answer of up to <paramref name="bytes"/> (at most the whole budget), waiting while the
    /// budget is spent; one answer is always admitted when nothing is held. Returns what was reserved.
    /// </summary>
    public async ValueTask<long> ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        var reserved = _budget.Limit > 0 ? Math.Min(bytes, _budget.Limit) : bytes;
        await _budget.ReserveAsync(reserved, cancellationToken);
        return reserved;
    }

    /// <summary>Gives back a reservation whose answer was not kept.</summary>
    public void Cancel(long reserved) => _budget.Release(reserved);

    /// <summary>
    /// Turns a reservation into the answer's real size (an answer of one batch larger than its cap takes the rest at
    /// once: it is already built). The <paramref name="actual"/> bytes are then held, to be given back by <see cref="Remove"/>.
    /// </summary>
    public void Commit(long reserved, long actual)
    {
        if (actual < reserved)
        {
            _budget.Release(reserved - actual);
        }
        else if (actual > reserved)
        {
            _budget.Take(actual - reserved);
        }

        var held = Interlocked.Add(ref _held, actual);
        var peak = Volatile.Read(ref _peak);
        while (held > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peak, held, peak);
            if (seen == peak)
            {
                break;
            }

            peak = seen;
        }
    }

    /// <summary>An answer was sent (or dropped with its connection): its bytes go back to the budget.</summary>
    public void Remove(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        Interlocked.Add(ref _held, -bytes);
        _budget.Release(bytes);
    }
}
