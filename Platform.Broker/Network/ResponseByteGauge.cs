namespace Platform.Broker.Network;

/// <summary>
/// Bytes of Fetch answers built and not yet handed to the socket, over every connection, and the most ever held at
/// once. A connection answers one Fetch at a time (the next waits until the previous answer is written), so this stays
/// within one answer (at most MaxFetchBytes) per connection however many Fetches a client pipelines.
/// </summary>
internal sealed class ResponseByteGauge
{
    private long _held;
    private long _peak;

    public long Held => Volatile.Read(ref _held);

    public long Peak => Volatile.Read(ref _peak);

    public void Add(long bytes)
    {
        var held = Interlocked.Add(ref _held, bytes);
        var peak = Volatile.Read(ref _peak);
        while (held > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peak, held, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    public void Remove(long bytes) => Interlocked.Add(ref _held, -bytes);
}
