using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;

namespace Platform.Alerting.Security;

/// <summary>
/// The users of the dashboard and the REST API, kept in a JSON file (<c>users.json</c> under the data directory):
/// names, roles and PBKDF2 password hashes, never a password in clear. Every change rewrites the file atomically
/// (a temporary file created with mode 0600, flushed, then renamed over the old one), and a change made by another
/// process (the <c>users</c> command line while the dashboard runs) is read back on the next lookup.
/// A file rather than a topic: the credentials must be readable before the broker is (it may itself require them),
/// and they must not reach every client that may read the broker's topics.
/// </summary>
public sealed class UserStore
{
    /// <summary>The shortest password accepted.</summary>
    public const int MinPasswordLength = 10;

    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    private static readonly PasswordHasher<PlatformUser> Hasher = new();

    // Verified against when the user does not exist, so that a wrong name costs as long as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(null!, "no such user");

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private List<PlatformUser> _users = [];
    private (DateTime WrittenAt, long Length) _loaded = (DateTime.MinValue, -1);

    /// <exception cref="InvalidDataException">The file exists but is not a users file.</exception>
    public UserStore(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _time = time ?? TimeProvider.System;
        lock (_lock)
        {
            Refresh();
        }
    }

    /// <summary>The users file.</summary>
    public string Path { get; }

    /// <summary>Every user, by name.</summary>
    public IReadOnlyList<PlatformUser> List()
    {
        lock (_lock)
        {
            Refresh();
            return [.. _users.OrderBy(u => u.Name, StringComparer.Ordinal)];
        }
    }

    public PlatformUser? Find(string name)
    {
        lock (_lock)
        {
            Refresh();
            return _users.Find(u => u.Name == name);
        }
    }

    /// <summary>The user when the password is theirs, else null (an unknown name takes as long as a wrong password).</summary>
    public PlatformUser? Verify(string name, string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var user = Find(name);
        if (user is null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash, password);
            return null;
        }

        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            // An older hash format or iteration count: store today's, the password stays the same (and so does the stamp).
            Update(name, u => u with { PasswordHash = Hasher.HashPassword(u, password) });
        }

        return result == PasswordVerificationResult.Failed ? null : user;
    }

    /// <exception cref="ArgumentException">A bad name, role or password.</exception>
    /// <exception cref="InvalidOperationException">The user exists.</exception>
    public PlatformUser Add(string name, string role, string password)
    {
        CheckName(name);
        CheckRole(role);
        CheckPassword(password);
        lock (_lock)
        {
            Refresh();
            if (_users.Exists(u => u.Name == name))
            {
                throw new InvalidOperationException($"User '{name}' exists.");
            }

            var user = new PlatformUser(name, role, string.Empty, NewStamp(), _time.GetUtcNow());
            user = user with { PasswordHash = Hasher.HashPassword(user, password) };
            Save([.. _users, user]);
            return user;
        }
    }

    /// <exception cref="ArgumentException">The password is too short.</exception>
    /// <exception cref="KeyNotFoundException">No such user.</exception>
    public void SetPassword(string name, string password)
    {
        CheckPassword(password);
        Update(name, u => u with { PasswordHash = Hasher.HashPassword(u, password), Stamp = NewStamp() });
    }

    /// <exception cref="ArgumentException">Not a role.</exception>
    /// <exception cref="KeyNotFoundException">No such user.</exception>
    /// <exception cref="InvalidOperationException">The user is the last admin.</exception>
    public void SetRole(string name, string role)
    {
        CheckRole(role);
        lock (_lock)
        {
            Refresh();
            var user = _users.Find(u => u.Name == name) ?? throw new KeyNotFoundException($"No user '{name}'.");
            if (user.Role == role)
            {
                return;
            }

            if (user.Role == PlatformRoles.Admin && LastAdmin(user))
            {
                throw new InvalidOperationException($"'{name}' is the last admin: make another user admin first.");
            }

            Save([.. _users.Select(u => u.Name == name ? u with { Role = role, Stamp = NewStamp() } : u)]);
        }
    }

    /// <exception cref="KeyNotFoundException">No such user.</exception>
    /// <exception cref="InvalidOperationException">The user is the last admin.</exception>
    public void Remove(string name)
    {
        lock (_lock)
        {
            Refresh();
            var user = _users.Find(u => u.Name == name) ?? throw new KeyNotFoundException($"No user '{name}'.");
            if (user.Role == PlatformRoles.Admin && LastAdmin(user))
            {
                throw new InvalidOperationException($"'{name}' is the last admin and cannot be deleted.");
            }

            Save([.. _users.Where(u => u.Name != name)]);
        }
    }

    /// <summary>
    /// With no users at all, creates <c>admin</c> with a generated password and returns that password (the only
    /// place it exists in clear); null when there are users already.
    /// </summary>
    public string? EnsureInitialAdmin()
    {
        lock (_lock)
        {
            Refresh();
            if (_users.Count > 0)
            {
                return null;
            }

            var password = GeneratePassword();
            Add(PlatformRoles.Admin, PlatformRoles.Admin, password);
            return password;
        }
    }

    /// <summary>A random password of 20 letters and digits (about 116 bits), without look-alikes such as 0/O and 1/l.</summary>
    public static string GeneratePassword() => RandomNumberGenerator.GetString(Alphabet, 20);

    /// <exception cref="ArgumentException">The name is empty, longer than 64 characters or has other characters than letters, digits and <c>. _ - @</c>.</exception>
    public static void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
        {
            throw new ArgumentException($"User name '{name}' is not valid: 1 to 64 letters, digits, '.', '_', '-' or '@'.", nameof(name));
        }
    }

    /// <exception cref="ArgumentException">The password is shorter than <see cref="MinPasswordLength"/>.</exception>
    public static void CheckPassword(string password)
    {
        if (password is null || password.Length < MinPasswordLength)
        {
            throw new ArgumentException($"The password must have at least {MinPasswordLength} characters.", nameof(password));
        }
    }

    private static void CheckRole(string role)
    {
        if (!PlatformRoles.IsValid(role))
        {
            throw new ArgumentException($"Role '{role}' is not one of {string.Join(", ", PlatformRoles.All)}.", nameof(role));
        }
    }

    private bool LastAdmin(PlatformUser user) => !_users.Exists(u => u.Role == PlatformRoles.Admin && u.Name != user.Name);

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private void Update(string name, Func<PlatformUser, PlatformUser> change)
    {
        lock (_lock)
        {
            Refresh();
            var index = _users.FindIndex(u => u.Name == name);
            if (index < 0)
            {
                throw new KeyNotFoundException($"No user '{name}'.");
            }

            var users = _users.ToList();
            users[index] = change(users[index]);
            Save(users);
        }
    }

    // Re-reads the file when another process changed it (its time or length differ from what was read last).
    private void Refresh()
    {
        var info = new FileInfo(Path);
        if (!info.Exists)
        {
            _users = [];
            _loaded = (DateTime.MinValue, -1);
            return;
        }

        if (info.LastWriteTimeUtc == _loaded.WrittenAt && info.Length == _loaded.Length)
        {
            return;
        }

        UsersFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllBytes(Path), SecurityJsonContext.Default.UsersFile);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path} is not a users file: {e.Message}", e);
        }

        if (file is null || file.Version != UsersFile.CurrentVersion || file.Users is null)
        {
            throw new InvalidDataException($"{Path} is not a version {UsersFile.CurrentVersion} users file.");
        }

        _users = file.Users;
        _loaded = (info.LastWriteTimeUtc, info.Length);
    }

    private void Save(List<PlatformUser> users)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var temporary = Path + ".tmp-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, new UsersFile(UsersFile.CurrentVersion, users), SecurityJsonContext.Default.UsersFile);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        _users = users;
        var info = new FileInfo(Path);
        _loaded = (info.LastWriteTimeUtc, info.Length);
    }
}
