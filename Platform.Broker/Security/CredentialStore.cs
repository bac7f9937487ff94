using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Platform.Broker.Security;

/// <summary>
/// The users allowed to authenticate, in a JSON file (<see cref="CredentialFileModel"/>, mode 0600, replaced
/// atomically). The broker re-reads it when it changes (checked at each authentication), so users added with the
/// <c>users</c> command work without a restart.
/// </summary>
internal sealed class CredentialStore
{
    private readonly string _path;
    private readonly Lock _lock = new();
    private Dictionary<string, ScramCredential> _users = new(StringComparer.Ordinal);
    private DateTime _stamp = DateTime.MinValue;
    private bool _loaded;
    private byte[]? _unknownUserSecret;

    public CredentialStore(string path)
    {
        _path = path;
    }

    public string Path => _path;

    /// <summary>The user's credential, or null when there is no such user (re-reads a changed file first).</summary>
    public ScramCredential? Find(string user)
    {
        Refresh();
        return Volatile.Read(ref _users).GetValueOrDefault(user);
    }

    /// <summary>
    /// A made-up credential for a name with no user, so that an exchange for it looks like one for a real user: its salt
    /// is HMAC(secret, name) under a secret kept next to the credentials (the same across attempts and restarts), and its
    /// iteration count is the one most stored users have. It never verifies.
    /// </summary>
    public ScramCredential UnknownUser(string user)
    {
        var secret = _unknownUserSecret ??= LoadOrCreateSecret(_path + ".unknown-key");
        var salt = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(user))[..24];
        var users = Volatile.Read(ref _users);
        var iterations = users.Count == 0
            ? ScramSha256.DefaultIterations
            : users.Values.GroupBy(c => c.Iterations).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).First().Key;
        return new ScramCredential(salt, iterations, RandomNumberGenerator.GetBytes(ScramSha256.KeySize), RandomNumberGenerator.GetBytes(ScramSha256.KeySize));
    }

    public IReadOnlyList<string> List()
    {
        Refresh();
        return [.. Volatile.Read(ref _users).Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Adds or replaces a user (a new salt every time) and saves the file.</summary>
    public void Set(string user, string password, int iterations = ScramSha256.DefaultIterations)
    {
        ValidateUserName(user);
        if (string.IsNullOrEmpty(password))
        {
            throw new ArgumentException("the password must not be empty", nameof(password));
        }

        lock (_lock)
        {
            var users = new Dictionary<string, ScramCredential>(Load(), StringComparer.Ordinal)
            {
                [user] = ScramSha256.CreateCredential(password, iterations),
            };
            Save(users);
        }
    }

    /// <summary>Removes a user; false when there was none.</summary>
    public bool Remove(string user)
    {
        lock (_lock)
        {
            var users = new Dictionary<string, ScramCredential>(Load(), StringComparer.Ordinal);
            if (!users.Remove(user))
            {
                return false;
            }

            Save(users);
            return true;
        }
    }

    public static void ValidateUserName(string user)
    {
        if (string.IsNullOrEmpty(user) || user.Length > 255)
        {
            throw new ArgumentException("a user name must be 1 to 255 characters long");
        }

        foreach (var c in user)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c is ',' or '=' or '*' or ':')
            {
                throw new ArgumentException($"user name '{user}' contains '{c}': use letters, digits and . _ - @ only");
            }
        }
    }

    private static byte[] LoadOrCreateSecret(string path)
    {
        try
        {
            var existing = File.ReadAllBytes(path);
            if (existing.Length >= 32)
            {
                return existing;
            }
        }
        catch (FileNotFoundException)
        {
        }
        catch (DirectoryNotFoundException)
        {
        }

        var secret = RandomNumberGenerator.GetBytes(32);
        try
        {
            SecureFile.WriteAtomically(path, secret);
        }
        catch (IOException)
        {
            // A read-only data directory: the made-up salts hold for this process only.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return secret;
    }

    private void Refresh()
    {
        var stamp = SecureFile.Stamp(_path);
        if (_loaded && stamp == _stamp)
        {
            return;
        }

        lock (_lock)
        {
            _users = Load();
        }
    }

    /// <summary>Reads the file (an absent file is an empty store); malformed content is an <see cref="InvalidDataException"/>.</summary>
    private Dictionary<string, ScramCredential> Load()
    {
        var stamp = SecureFile.Stamp(_path);
        if (_loaded && stamp == _stamp)
        {
            return _users;
        }

        var users = new Dictionary<string, ScramCredential>(StringComparer.Ordinal);
        if (File.Exists(_path))
        {
            CredentialFileModel? model;
            try
            {
                model = JsonSerializer.Deserialize(File.ReadAllBytes(_path), SecurityJsonContext.Default.CredentialFileModel);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"credential file {_path} is not valid JSON: {ex.Message}", ex);
            }

            if (model is null || model.Version != 1)
            {
                throw new InvalidDataException($"credential file {_path}: unsupported version {model?.Version}");
            }

            foreach (var (name, c) in model.Users)
            {
                try
                {
                    var credential = new ScramCredential(Convert.FromBase64String(c.Salt), c.Iterations,
                        Convert.FromBase64String(c.StoredKey), Convert.FromBase64String(c.ServerKey));
                    if (c.Mechanism != ScramSha256.Mechanism || credential.Iterations < ScramCredential.MinIterations
                        || credential.StoredKey.Length != ScramSha256.KeySize || credential.ServerKey.Length != ScramSha256.KeySize)
                    {
                        throw new FormatException("bad mechanism, iteration count or key size");
                    }

                    users[name] = credential;
                }
                catch (FormatException ex)
                {
                    throw new InvalidDataException($"credential file {_path}: user '{name}' is malformed: {ex.Message}", ex);
                }
            }
        }

        _users = users;
        _stamp = stamp;
        _loaded = true;
        return users;
    }

    private void Save(Dictionary<string, ScramCredential> users)
    {
        var model = new CredentialFileModel();
        foreach (var (name, c) in users)
        {
            model.Users[name] = new StoredCredentialModel
            {
                Iterations = c.Iterations,
                Salt = Convert.ToBase64String(c.Salt),
                StoredKey = Convert.ToBase64String(c.StoredKey),
                ServerKey = Convert.ToBase64String(c.ServerKey),
            };
        }

        SecureFile.WriteAtomically(_path, JsonSerializer.SerializeToUtf8Bytes(model, SecurityJsonContext.Default.CredentialFileModel));
        _users = users;
        _stamp = SecureFile.Stamp(_path);
        _loaded = true;
    }
}
