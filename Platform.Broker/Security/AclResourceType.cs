namespace Platform.Broker.Security;

/// <summary>The kinds of resource an ACL rule names (Kafka's names).</summary>
public enum AclResourceType
{
    Topic,
    Group,
    Cluster,
}
