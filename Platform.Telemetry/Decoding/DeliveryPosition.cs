namespace Platform.Telemetry.Decoding;

/// <summary>
/// Where one host's stream (its metric or its log batches) has got to: the (<c>agent_run_id</c>, <c>sequence</c>) of
/// the last batch applied. The agent delivers at least once (after a crash of the agent, batches the broker had already
/// acknowledged are sent again, in their order); <see cref="Advance"/> tells such a repeat from a new batch without
/// allocating. A batch without a sequence (0: the producer left it out) cannot be told apart and is always new. Mutable:
/// keep it in a field and call <see cref="Advance"/> on the field itself, not on a copy.
/// </summary>
public struct DeliveryPosition
{
    /// <summary>The run of the last batch applied; null before the first one with a sequence.</summary>
    public string? AgentRunId { readonly get; private set; }

    /// <summary>The sequence of the last batch applied (0: none yet).</summary>
    public ulong Sequence { readonly get; private set; }

    /// <summary>Takes a batch's header: false when it is a repeat (same run, a sequence not above the last applied),
    /// which the caller drops; otherwise true, and the batch becomes the last applied (a new run starts over).</summary>
    public bool Advance(string agentRunId, ulong sequence)
    {
        if (sequence == 0)
        {
            return true;
        }

        if (sequence <= Sequence && string.Equals(agentRunId, AgentRunId, StringComparison.Ordinal))
        {
            return false;
        }

        AgentRunId = agentRunId;
        Sequence = sequence;
        return true;
    }
}
