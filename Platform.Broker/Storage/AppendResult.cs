namespace Platform.Broker.Storage;

/// <summary>
/// The outcome of one append. On <see cref="ErrorCode.None"/>, <see cref="BaseOffset"/> is the offset given to the
/// first record (for a retried idempotent batch: the offset it got the first time, and nothing was appended again).
/// </summary>
public readonly record struct AppendResult(ErrorCode Error, long BaseOffset, long LogAppendTime, long LogStartOffset, string? ErrorMessage = null);
