namespace Platform.Broker.Security;

/// <summary>What an ACL rule allows (Kafka's operation names). Read, Write, Create and Delete imply Describe, as in Kafka.</summary>
[Flags]
public enum AclOperation
{
    None = 0,
    Read = 1,
    Write = 2,
    Describe = 4,
    Create = 8,
    Delete = 16,
    All = Read | Write | Describe | Create | Delete,
}
