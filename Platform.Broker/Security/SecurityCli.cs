namespace Platform.Broker.Security;

/// <summary>
/// <c>platform-broker users ...</c> and <c>platform-broker acls ...</c>: manage the credential store and the ACL file a
/// broker with the same data directory (or file settings) uses. A running broker picks the changes up by itself.
/// Passwords are read from a file or standard input, never from the command line, and never printed.
/// </summary>
internal static class SecurityCli
{
    public const string Usage = """
        usage: platform-broker users add NAME (--password-file FILE | --password-stdin) [--iterations N]
               platform-broker users remove NAME
               platform-broker users list
               platform-broker acls add --principal NAME|* (--topic NAME | --group NAME | --cluster) --operations Read,Write,...
               platform-broker acls remove --principal NAME|* (--topic NAME | --group NAME | --cluster) [--operations ...]
               platform-broker acls list
        Files: Broker:Security:CredentialsFile and Broker:Security:AclFile, by default under Broker:DataDirectory/security/
        (take --data-dir DIR, or the same settings as the broker). A NAME ending in * is a prefix; * alone is every resource.
        Operations: Read, Write, Describe, Create, Delete, All (Read, Write, Create, Delete imply Describe).
        """;

    /// <summary>Runs the command; returns the process exit code (0 ok, 1 failed, 2 usage error).</summary>
    public static int Run(string[] args, BrokerOptions options, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        try
        {
            return (args.ElementAtOrDefault(0), args.ElementAtOrDefault(1)) switch
            {
                ("users", "add") => UsersAdd(args, new CredentialStore(options.Security.CredentialsPath(dataDirectory)), stdin, stdout),
                ("users", "remove") => UsersRemove(args, new CredentialStore(options.Security.CredentialsPath(dataDirectory)), stdout, stderr),
                ("users", "list") => UsersList(new CredentialStore(options.Security.CredentialsPath(dataDirectory)), stdout),
                ("acls", "add") => AclsAdd(args, new AclStore(options.Security.AclPath(dataDirectory), []), stdout),
                ("acls", "remove") => AclsRemove(args, new AclStore(options.Security.AclPath(dataDirectory), []), stdout, stderr),
                ("acls", "list") => AclsList(new AclStore(options.Security.AclPath(dataDirectory), []), stdout),
                _ => UsageError(stderr, $"unknown command '{string.Join(' ', args.Take(2))}'"),
            };
        }
        catch (ArgumentException ex)
        {
            return UsageError(stderr, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"platform-broker: {ex.Message}");
            return 1;
        }
    }

    private static int UsersAdd(string[] args, CredentialStore store, TextReader stdin, TextWriter stdout)
    {
        var name = Positional(args, 2, "user name");
        var file = Option(args, "--password-file");
        var fromStdin = args.Contains("--password-stdin");
        if ((file is null) == !fromStdin)
        {
            throw new ArgumentException("give the password with exactly one of --password-file FILE or --password-stdin");
        }

        var iterations = Option(args, "--iterations") is { } text
            ? int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"--iterations: '{text}' is not a number")
            : ScramSha256.DefaultIterations;
        string password;
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                throw new ArgumentException($"--password-file: '{file}' does not exist");
            }

            password = File.ReadAllText(file);
        }
        else
        {
            password = stdin.ReadToEnd();
        }

        password = password.TrimEnd('\r', '\n');
        if (password.Length == 0)
        {
            throw new ArgumentException("the password is empty");
        }

        store.Set(name, password, iterations);
        stdout.WriteLine($"user {name} saved in {store.Path} (SCRAM-SHA-256, {iterations} iterations)");
        return 0;
    }

    private static int UsersRemove(string[] args, CredentialStore store, TextWriter stdout, TextWriter stderr)
    {
        var name = Positional(args, 2, "user name");
        if (!store.Remove(name))
        {
            stderr.WriteLine($"platform-broker: no user {name} in {store.Path}");
            return 1;
        }

        stdout.WriteLine($"user {name} removed");
        return 0;
    }

    private static int UsersList(CredentialStore store, TextWriter stdout)
    {
        foreach (var name in store.List())
        {
            stdout.WriteLine(name);
        }

        return 0;
    }

    private static int AclsAdd(string[] args, AclStore store, TextWriter stdout)
    {
        var (principal, type, name) = Resource(args);
        var operations = AclRule.ParseOperations(Option(args, "--operations") ?? throw new ArgumentException("acls add needs --operations"));
        var rule = new AclRule { Principal = principal, ResourceType = type, Name = name, Operations = operations };
        store.Add(rule);
        stdout.WriteLine($"allowed: {rule}");
        return 0;
    }

    private static int AclsRemove(string[] args, AclStore store, TextWriter stdout, TextWriter stderr)
    {
        var (principal, type, name) = Resource(args);
        var operations = Option(args, "--operations") is { } ops ? AclRule.ParseOperations(ops) : null;
        if (!store.Remove(principal, type, name, operations))
        {
            stderr.WriteLine($"platform-broker: no rule for {principal} on {type.ToString().ToLowerInvariant()} {name}");
            return 1;
        }

        stdout.WriteLine($"removed: {principal} {type.ToString().ToLowerInvariant()}:{name} {(operations is null ? "(all)" : string.Join(',', operations))}");
        return 0;
    }

    private static int AclsList(AclStore store, TextWriter stdout)
    {
        foreach (var rule in store.Rules)
        {
            stdout.WriteLine(rule.ToString());
        }

        return 0;
    }

    private static (string Principal, AclResourceType Type, string Name) Resource(string[] args)
    {
        var principal = Option(args, "--principal") ?? throw new ArgumentException("give --principal NAME (or * for every user)");
        var topic = Option(args, "--topic");
        var group = Option(args, "--group");
        var cluster = args.Contains("--cluster");
        if ((topic is not null ? 1 : 0) + (group is not null ? 1 : 0) + (cluster ? 1 : 0) != 1)
        {
            throw new ArgumentException("give exactly one of --topic NAME, --group NAME or --cluster");
        }

        return topic is not null ? (principal, AclResourceType.Topic, topic)
            : group is not null ? (principal, AclResourceType.Group, group)
            : (principal, AclResourceType.Cluster, ConnectionSession.ClusterName);
    }

    private static string Positional(string[] args, int index, string what)
    {
        var value = args.ElementAtOrDefault(index);
        if (value is null || value.StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"missing {what}");
        }

        return value;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0)
        {
            return null;
        }

        if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{name} needs a value");
        }

        return args[i + 1];
    }

    private static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine($"platform-broker: {message}");
        stderr.WriteLine(Usage);
        return 2;
    }
}
