using Microsoft.Extensions.Logging;

namespace Platform.Agents;

/// <summary>The agent's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "platform-agent {Version} started: host {HostId}, interval {IntervalMs} ms, output {Output} {Bootstrap}, state {StateDirectory}")]
    public static partial void Started(ILogger logger, string version, string hostId, double intervalMs, string output, string bootstrap, string stateDirectory);

    [LoggerMessage(2, LogLevel.Information, "platform-agent stopped: {Ticks} ticks, {Published} batches published, {Pending} waiting in the spool")]
    public static partial void Stopped(ILogger logger, long ticks, long published, long pending);

    [LoggerMessage(3, LogLevel.Error, "the Kafka client failed for good and is being replaced: {Error}")]
    public static partial void ProducerFatal(ILogger logger, string error);

    [LoggerMessage(4, LogLevel.Warning, "Kafka client: {Error}")]
    public static partial void ProducerError(ILogger logger, string error);

    [LoggerMessage(5, LogLevel.Warning, "Kafka client [{Facility}]: {Message}")]
    public static partial void ProducerLog(ILogger logger, string facility, string message);

    [LoggerMessage(6, LogLevel.Warning, "delivery failed, sending again from the spool in {BackoffMs} ms: {Error}")]
    public static partial void DeliveryRetry(ILogger logger, double backoffMs, string error);

    [LoggerMessage(7, LogLevel.Error, "the broker rejected spool record {Id}; it is dropped: {Error}")]
    public static partial void DeliveryRejected(ILogger logger, ulong id, string error);

    [LoggerMessage(8, LogLevel.Warning, "the spool is over its bound: {Dropped} unsent records dropped so far (oldest first)")]
    public static partial void SpoolDropped(ILogger logger, long dropped);

    [LoggerMessage(9, LogLevel.Information, "the broker is reachable again; {Pending} spooled records to send")]
    public static partial void BrokerBack(ILogger logger, long pending);

    [LoggerMessage(10, LogLevel.Warning, "collector {Collector} failed this tick: {Error}")]
    public static partial void CollectorFailed(ILogger logger, string collector, string error);

    [LoggerMessage(11, LogLevel.Warning, "the spool recovered from a torn write: {Count} segment tails cut off")]
    public static partial void SpoolTruncated(ILogger logger, long count);

    [LoggerMessage(12, LogLevel.Warning, "log file {Path} could not be read: {Error}")]
    public static partial void LogFileError(ILogger logger, string path, string error);

    [LoggerMessage(13, LogLevel.Information, "health metrics on http://{Endpoint}/metrics")]
    public static partial void MetricsListening(ILogger logger, string endpoint);

    [LoggerMessage(14, LogLevel.Warning, "scrape of {Url} failed: {Error}")]
    public static partial void ScrapeFailed(ILogger logger, string url, string error);

    [LoggerMessage(15, LogLevel.Warning, "{Warning}")]
    public static partial void ConfigurationWarning(ILogger logger, string warning);

    [LoggerMessage(16, LogLevel.Error, "the spool failed ({Error}); trying again in {BackoffMs} ms")]
    public static partial void SpoolFailed(ILogger logger, string error, double backoffMs);

    [LoggerMessage(17, LogLevel.Warning, "the queue to the spool is full: a {Topic} batch is dropped")]
    public static partial void QueueFull(ILogger logger, string topic);

    [LoggerMessage(18, LogLevel.Warning, "multiline_start timed out (100 ms) on a line of {Length} characters; such lines join the record before them")]
    public static partial void MultilineTimeout(ILogger logger, int length);
}
