using Platform.Agents.Spool;

namespace Platform.Agents.Publishing;

/// <summary>The <c>--output null</c> transport: every record counts as delivered at once. For dry runs and measuring collection cost.</summary>
internal sealed class NullTransport : ITransport
{
    public string Name => "null";

    public bool IsBroken => false;

    public long Records { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>The last record of each topic (for a look at what a dry run would have sent).</summary>
    public SpoolEntry LastMetrics { get; private set; }

    public SpoolEntry LastLogs { get; private set; }

    public void Send(SpoolEntry entry, Action<ulong, DeliveryOutcome, string?> onResult)
    {
        ArgumentNullException.ThrowIfNull(onResult);
        Records++;
        Bytes += entry.Key.Length + entry.Value.Length;
        if (entry.Topic == SpoolTopic.Logs)
        {
            LastLogs = entry;
        }
        else
        {
            LastMetrics = entry;
        }

        onResult(entry.Id, DeliveryOutcome.Delivered, null);
    }

    public void Flush(TimeSpan timeout)
    {
    }

    public void Dispose()
    {
    }
}
