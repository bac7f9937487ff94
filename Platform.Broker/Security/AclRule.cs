namespace Platform.Broker.Security;

/// <summary>
/// One allow rule: <see cref="Principal"/> (a user name, or <c>*</c> for every authenticated user) may do
/// <see cref="Operations"/> on the resources of <see cref="ResourceType"/> named <see cref="Name"/> — an exact name, a
/// prefix ending in <c>*</c> (<c>metrics*</c>), or <c>*</c> for all. Anything no rule allows is denied.
/// </summary>
public sealed record AclRule
{
    public required string Principal { get; init; }

    public required AclResourceType ResourceType { get; init; }

    public required string Name { get; init; }

    public required IReadOnlyList<AclOperation> Operations { get; init; }

    internal AclOperation Mask
    {
        get
        {
            var mask = AclOperation.None;
            foreach (var op in Operations)
            {
                mask |= op;
            }

            return (mask & (AclOperation.Read | AclOperation.Write | AclOperation.Create | AclOperation.Delete)) != 0 ? mask | AclOperation.Describe : mask;
        }
    }

    internal bool Matches(string principal, AclResourceType type, string name) =>
        ResourceType == type
        && (Principal == "*" || Principal == principal)
        && (Name == "*" || (Name.EndsWith('*') ? name.StartsWith(Name.AsSpan(0, Name.Length - 1), StringComparison.Ordinal) : Name == name));

    /// <summary>Throws <see cref="ArgumentException"/> with the reason when the rule is malformed.</summary>
    internal void Validate()
    {
        if (string.IsNullOrEmpty(Principal))
        {
            throw new ArgumentException("an ACL rule needs a principal (a user name or *)");
        }

        if (string.IsNullOrEmpty(Name))
        {
            throw new ArgumentException($"the ACL rule for {Principal} needs a resource name (a name, a prefix ending in *, or *)");
        }

        if (Operations is null || Operations.Count == 0)
        {
            throw new ArgumentException($"the ACL rule for {Principal} on {ResourceType} {Name} lists no operations");
        }

        foreach (var op in Operations)
        {
            if (op == AclOperation.None || (op & ~AclOperation.All) != 0)
            {
                throw new ArgumentException($"the ACL rule for {Principal} on {ResourceType} {Name} has an unknown operation {op}");
            }
        }
    }

    public override string ToString() =>
        $"{Principal} {ResourceType.ToString().ToLowerInvariant()}:{Name} {string.Join(',', Operations)}";

    /// <summary>Parses "Read,Write" (case-insensitive) into operations.</summary>
    public static IReadOnlyList<AclOperation> ParseOperations(string value)
    {
        var list = new List<AclOperation>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<AclOperation>(part, ignoreCase: true, out var op) || op == AclOperation.None || int.TryParse(part, out _))
            {
                throw new ArgumentException($"unknown ACL operation '{part}': use Read, Write, Describe, Create, Delete or All");
            }

            list.Add(op);
        }

        if (list.Count == 0)
        {
            throw new ArgumentException("no ACL operations given: use Read, Write, Describe, Create, Delete or All");
        }

        return list;
    }
}
