namespace Platform.Broker.Storage;

/// <summary>CreateTopic named a topic that already exists.</summary>
public sealed class TopicExistsException : Exception
{
    public TopicExistsException()
    {
    }

    public TopicExistsException(string message)
        : base(message)
    {
    }

    public TopicExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
