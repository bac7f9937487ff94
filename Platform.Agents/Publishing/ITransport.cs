using Platform.Agents.Spool;

namespace Platform.Agents.Publishing;

/// <summary>Where spooled records go: the Kafka protocol, or nowhere (the dry-run output).</summary>
internal interface ITransport : IDisposable
{
    /// <summary>"kafka" or "null", for the logs.</summary>
    string Name { get; }

    /// <summary>
    /// Hands a record over for delivery. The outcome is reported once through <paramref name="onResult"/>,
    /// on any thread, possibly before this returns.
    /// </summary>
    void Send(SpoolEntry entry, Action<ulong, DeliveryOutcome, string?> onResult);

    /// <summary>True after an unrecoverable client error: the pipeline replaces the transport.</summary>
    bool IsBroken { get; }

    /// <summary>Waits up to <paramref name="timeout"/> for records handed over to be delivered.</summary>
    void Flush(TimeSpan timeout);
}

/// <summary>How a delivery ended.</summary>
internal enum DeliveryOutcome
{
    Delivered,
    /// <summary>Not delivered now (broker down, timeout): send again later, in order.</summary>
    Retry,
    /// <summary>The broker will never accept this record (too large, invalid): drop it and count it.</summary>
    Rejected,
    /// <summary>The client is unusable: replace it and send again.</summary>
    Fatal,
}
