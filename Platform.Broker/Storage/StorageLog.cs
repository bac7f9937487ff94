using Microsoft.Extensions.Logging;

namespace Platform.Broker.Storage;

/// <summary>The storage's log messages.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(1, LogLevel.Warning, "{Topic}-{Partition}: segment {BaseOffset}: {Problem}")]
    public static partial void SegmentTruncated(ILogger logger, string topic, int partition, long baseOffset, string problem);

    [LoggerMessage(2, LogLevel.Information, "{Topic}-{Partition}: segment {BaseOffset}: index rebuilt ({Reason})")]
    public static partial void IndexRebuilt(ILogger logger, string topic, int partition, long baseOffset, string reason);

    [LoggerMessage(3, LogLevel.Warning, "{Topic}-{Partition}: deleted segment {BaseOffset} and later ones, which follow a damaged segment")]
    public static partial void SegmentDroppedAfterDamage(ILogger logger, string topic, int partition, long baseOffset);

    [LoggerMessage(4, LogLevel.Information, "{Topic}-{Partition}: opened offsets [{LogStartOffset}, {LogEndOffset}) in {Segments} segments, {Producers} producers ({Shutdown})")]
    public static partial void PartitionOpened(ILogger logger, string topic, int partition, long logStartOffset, long logEndOffset, int segments, int producers, string shutdown);

    [LoggerMessage(5, LogLevel.Information, "{Topic}-{Partition}: retention deleted {Count} segments; log start offset now {LogStartOffset}")]
    public static partial void RetentionDeleted(ILogger logger, string topic, int partition, int count, long logStartOffset);

    [LoggerMessage(6, LogLevel.Error, "{Topic}-{Partition}: append failed: {Message}")]
    public static partial void AppendFailed(ILogger logger, string topic, int partition, string message, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "{Topic}-{Partition}: producer state {Problem}; rebuilding it from the log")]
    public static partial void ProducerSnapshotIgnored(ILogger logger, string topic, int partition, string problem);

    [LoggerMessage(8, LogLevel.Error, "Flush failed: {Message}")]
    public static partial void FlushFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "{Directory}: {Problem}")]
    public static partial void DirectoryProblem(ILogger logger, string directory, string problem);

    [LoggerMessage(10, LogLevel.Error, "Retention check failed: {Message}")]
    public static partial void RetentionFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(11, LogLevel.Information, "Topic {Topic} created with {Partitions} partitions")]
    public static partial void TopicCreated(ILogger logger, string topic, int partitions);

    [LoggerMessage(12, LogLevel.Information, "Topic {Topic} deleted")]
    public static partial void TopicDeleted(ILogger logger, string topic);

    [LoggerMessage(13, LogLevel.Information, "Topic {Topic} reconfigured: {Config}")]
    public static partial void TopicReconfigured(ILogger logger, string topic, string config);
}
