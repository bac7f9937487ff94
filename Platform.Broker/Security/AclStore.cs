using System.Text.Json;

namespace Platform.Broker.Security;

/// <summary>
/// The ACL rules, from a JSON file (<see cref="AclFileModel"/>; 0600, replaced atomically by the <c>acls</c> command).
/// The broker re-reads a changed file at most once a second; <see cref="Generation"/> moves on each change so
/// connections drop their cached decisions.
/// </summary>
internal sealed class AclStore
{
    private readonly string _path;
    private readonly HashSet<string> _superUsers;
    private readonly Lock _lock = new();
    private AclRule[] _rules = [];
    private DateTime _stamp = DateTime.MinValue;
    private long _nextCheck;
    private int _generation;

    public AclStore(string path, IEnumerable<string> superUsers)
    {
        _path = path;
        _superUsers = new HashSet<string>(superUsers.Select(NormalizePrincipal), StringComparer.Ordinal);
        _rules = Load();
        _stamp = SecureFile.Stamp(path);
    }

    public string Path => _path;

    /// <summary>Changes whenever the rules change.</summary>
    public int Generation
    {
        get
        {
            var now = Environment.TickCount64;
            if (now >= Volatile.Read(ref _nextCheck))
            {
                Volatile.Write(ref _nextCheck, now + 1000);
                Reload();
            }

            return Volatile.Read(ref _generation);
        }
    }

    public IReadOnlyList<AclRule> Rules => Volatile.Read(ref _rules);

    /// <summary>Everything <paramref name="principal"/> may do on the resource (the union of the matching rules).</summary>
    public AclOperation Allowed(string principal, AclResourceType type, string name)
    {
        if (_superUsers.Contains(principal))
        {
            return AclOperation.All;
        }

        var mask = AclOperation.None;
        foreach (var rule in Volatile.Read(ref _rules))
        {
            if (rule.Matches(principal, type, name))
            {
                mask |= rule.Mask;
            }
        }

        return mask;
    }

    /// <summary>Adds a rule (its operations merged into an existing rule for the same principal and resource); saves the file.</summary>
    public void Add(AclRule rule)
    {
        rule = rule with { Principal = NormalizePrincipal(rule.Principal) };
        rule.Validate();
        lock (_lock)
        {
            var rules = Load().ToList();
            var i = rules.FindIndex(r => r.Principal == rule.Principal && r.ResourceType == rule.ResourceType && r.Name == rule.Name);
            if (i >= 0)
            {
                rules[i] = rules[i] with { Operations = [.. rules[i].Operations.Union(rule.Operations)] };
            }
            else
            {
                rules.Add(rule);
            }

            Save(rules);
        }
    }

    /// <summary>Removes operations (or the whole rule when <paramref name="operations"/> is null); false when nothing matched.</summary>
    public bool Remove(string principal, AclResourceType type, string name, IReadOnlyList<AclOperation>? operations)
    {
        principal = NormalizePrincipal(principal);
        lock (_lock)
        {
            var rules = Load().ToList();
            var i = rules.FindIndex(r => r.Principal == principal && r.ResourceType == type && r.Name == name);
            if (i < 0)
            {
                return false;
            }

            var left = operations is null ? [] : rules[i].Operations.Except(operations).ToList();
            if (left.Count == 0)
            {
                rules.RemoveAt(i);
            }
            else
            {
                rules[i] = rules[i] with { Operations = left };
            }

            Save(rules);
            return true;
        }
    }

    /// <summary>"User:alice" and "alice" name the same principal.</summary>
    public static string NormalizePrincipal(string principal) =>
        principal.StartsWith("User:", StringComparison.Ordinal) ? principal[5..] : principal;

    private void Reload()
    {
        var stamp = SecureFile.Stamp(_path);
        if (stamp == _stamp)
        {
            return;
        }

        lock (_lock)
        {
            try
            {
                Volatile.Write(ref _rules, Load());
                _stamp = stamp;
                Interlocked.Increment(ref _generation);
            }
            catch (InvalidDataException)
            {
                // A broken edit keeps the rules in force; the next change is tried again (the CLI validates what it writes).
                _stamp = stamp;
            }
        }
    }

    private AclRule[] Load()
    {
        if (!File.Exists(_path))
        {
            return [];
        }

        AclFileModel? model;
        try
        {
            model = JsonSerializer.Deserialize(File.ReadAllBytes(_path), SecurityJsonContext.Default.AclFileModel);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"ACL file {_path} is not valid: {ex.Message}", ex);
        }

        if (model is null || model.Version != 1)
        {
            throw new InvalidDataException($"ACL file {_path}: unsupported version {model?.Version}");
        }

        var rules = new AclRule[model.Rules.Count];
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = model.Rules[i];
            try
            {
                rule.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new InvalidDataException($"ACL file {_path}, rule {i + 1}: {ex.Message}", ex);
            }

            rules[i] = rule with { Principal = NormalizePrincipal(rule.Principal) };
        }

        return rules;
    }

    private void Save(List<AclRule> rules)
    {
        var model = new AclFileModel { Rules = rules };
        SecureFile.WriteAtomically(_path, JsonSerializer.SerializeToUtf8Bytes(model, SecurityJsonContext.Default.AclFileModel));
        Volatile.Write(ref _rules, [.. rules]);
        _stamp = SecureFile.Stamp(_path);
        Interlocked.Increment(ref _generation);
    }
}
