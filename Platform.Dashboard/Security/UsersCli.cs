using System.Globalization;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>
/// <c>users add|set-password|set-role|remove|list</c>: manages the users file from the command line, for the first
/// accounts of a script and for recovery when the admin password is lost. Works while the dashboard runs (it reads
/// the file again on the next login).
/// </summary>
public static class UsersCli
{
    public const string Usage = """
        usage: dotnet run --project Platform.Dashboard -- users COMMAND [--data DIR | --users FILE]

          list                                   the users and their roles
          add NAME [--role ROLE] [--password-stdin]
                                                 a new user (role viewer, operator or admin; default viewer)
          set-password NAME [--password-stdin]   a new password (ends the user's sessions)
          set-role NAME ROLE                     another role (the last admin keeps the role)
          remove NAME                            delete a user (never the last admin)

        The password is generated and printed unless --password-stdin reads it from the first line of standard input
        (never from the command line, where other users of the machine could see it). The users file is
        DIR/users.json (default ./data, as the dashboard's --data) or FILE.
        """;

    /// <summary>Runs a command; 0 done, 1 refused (the user exists, is missing, is the last admin), 2 bad usage.</summary>
    public static int Run(IReadOnlyList<string> args, TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var positional = new List<string>();
        string data = "data", role = PlatformRoles.Viewer;
        string? file = null;
        var fromStdin = false;
        try
        {
            for (var i = 0; i < args.Count; i++)
            {
                string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--data": data = Value(); break;
                    case "--users": file = Value(); break;
                    case "--role": role = Value(); break;
                    case "--password-stdin": fromStdin = true; break;
                    case "-h" or "--help": output.WriteLine(Usage); return 0;
                    case var option when option.StartsWith("--", StringComparison.Ordinal):
                        throw new ArgumentException($"Unknown option '{option}'.");
                    default: positional.Add(args[i]); break;
                }
            }

            var store = new UserStore(file ?? DashboardSecurity.UsersFile(data));
            string Password()
            {
                if (!fromStdin)
                {
                    return UserStore.GeneratePassword();
                }

                var line = input.ReadLine() ?? throw new ArgumentException("--password-stdin: standard input is empty.");
                UserStore.CheckPassword(line);
                return line;
            }

            switch (positional)
            {
                case ["list"]:
                    foreach (var user in store.List())
                    {
                        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{user.Name,-24} {user.Role,-9} since {user.CreatedAt:yyyy-MM-dd HH:mm}"));
                    }

                    return 0;
                case ["add", var name]:
                    {
                        var password = Password();
                        store.Add(name, role, password);
                        output.WriteLine($"Added {name} ({role}) to {store.Path}.");
                        Announce(output, name, password, fromStdin);
                        return 0;
                    }

                case ["set-password", var name]:
                    {
                        var password = Password();
                        store.SetPassword(name, password);
                        output.WriteLine($"Set the password of {name}; their sessions have ended.");
                        Announce(output, name, password, fromStdin);
                        return 0;
                    }

                case ["set-role", var name, var newRole]:
                    store.SetRole(name, newRole);
                    output.WriteLine($"{name} is now {newRole}.");
                    return 0;
                case ["remove", var name]:
                    store.Remove(name);
                    output.WriteLine($"Removed {name}.");
                    return 0;
                default:
                    error.WriteLine(positional.Count == 0 ? "users: which command?" : $"users: '{string.Join(' ', positional)}' is not a command.");
                    error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            error.WriteLine("users: " + e.Message);
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine("users: " + e.Message);
            return 1;
        }
    }

    private static void Announce(TextWriter output, string name, string password, bool fromStdin)
    {
        if (!fromStdin)
        {
            output.WriteLine($"Password of {name} (shown only now): {password}");
        }
    }
}
