using System.Diagnostics.CodeAnalysis;

namespace Platform.Broker.Protocol;

/// <summary>A request that cannot be decoded (truncated field, negative or oversized length, bad count); the connection is closed.</summary>
public sealed class KafkaProtocolException : Exception
{
    public KafkaProtocolException()
    {
    }

    public KafkaProtocolException(string message)
        : base(message)
    {
    }

    public KafkaProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [DoesNotReturn]
    internal static void Throw(string message) => throw new KafkaProtocolException(message);
}
