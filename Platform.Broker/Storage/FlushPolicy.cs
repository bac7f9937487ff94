namespace Platform.Broker.Storage;

/// <summary>When appended bytes are forced to stable storage.</summary>
public enum FlushMode
{
    /// <summary>An append is acknowledged only after its bytes are fsynced (concurrent appends share one fsync).</summary>
    Strict,

    /// <summary>Appends are acknowledged once written; a background group commit fsyncs every interval or byte threshold.</summary>
    GroupCommit,
}
