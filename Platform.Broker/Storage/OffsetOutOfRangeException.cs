namespace Platform.Broker.Storage;

/// <summary>A read asked for an offset outside [log start, log end].</summary>
public sealed class OffsetOutOfRangeException : Exception
{
    public OffsetOutOfRangeException()
    {
    }

    public OffsetOutOfRangeException(string message)
        : base(message)
    {
    }

    public OffsetOutOfRangeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
