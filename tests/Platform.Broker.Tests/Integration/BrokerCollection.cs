namespace Platform.Broker.Tests.Integration;

/// <summary>The integration tests share one broker and run one class at a time (the CI machine has 2 cores).</summary>
[CollectionDefinition(Name)]
public sealed class BrokerCollectionDefinition : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}
