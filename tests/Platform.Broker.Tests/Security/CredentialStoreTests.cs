using Platform.Broker.Security;
using Platform.TestKit;

namespace Platform.Broker.Tests.Security;

public class CredentialStoreTests
{
    [Fact]
    public void CredentialStore_SavedUser_RoundTripsWithoutThePasswordAndMode0600()
    {
        using var dir = new TempDirectory("creds");
        var path = Path.Combine(dir.Path, "security", "users.json");
        new CredentialStore(path).Set("alice", "correct horse", 4096);

        var reopened = new CredentialStore(path);
        var credential = reopened.Find("alice");

        Assert.NotNull(credential);
        Assert.True(ScramSha256.Verify(credential, "correct horse"));
        Assert.Equal(["alice"], reopened.List());
        Assert.DoesNotContain("correct horse", File.ReadAllText(path), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void CredentialStore_ChangedFile_IsReReadByAnotherInstance()
    {
        using var dir = new TempDirectory("creds");
        var path = Path.Combine(dir.Path, "users.json");
        var broker = new CredentialStore(path);
        Assert.Null(broker.Find("bob"));

        new CredentialStore(path).Set("bob", "pw-1", 4096);
        Assert.NotNull(broker.Find("bob"));

        new CredentialStore(path).Remove("bob");
        Assert.Null(broker.Find("bob"));
    }

    [Fact]
    public void CredentialStore_MalformedFile_IsAClearError()
    {
        using var dir = new TempDirectory("creds");
        var path = Path.Combine(dir.Path, "users.json");
        File.WriteAllText(path, "{ not json");

        var ex = Assert.Throws<InvalidDataException>(() => new CredentialStore(path).Find("x"));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("*")]
    [InlineData("User:x")]
    public void CredentialStore_BadUserName_IsRejected(string name)
    {
        using var dir = new TempDirectory("creds");
        Assert.Throws<ArgumentException>(() => new CredentialStore(Path.Combine(dir.Path, "u.json")).Set(name, "pw"));
    }

    [Fact]
    public void AclStore_Rules_AllowOnlyWhatTheyName()
    {
        using var dir = new TempDirectory("acls");
        var store = new AclStore(Path.Combine(dir.Path, "acls.json"), ["admin"]);
        store.Add(new AclRule { Principal = "User:agent", ResourceType = AclResourceType.Topic, Name = "metrics", Operations = [AclOperation.Write] });
        store.Add(new AclRule { Principal = "reader", ResourceType = AclResourceType.Topic, Name = "logs*", Operations = [AclOperation.Read] });
        store.Add(new AclRule { Principal = "*", ResourceType = AclResourceType.Group, Name = "*", Operations = [AclOperation.Describe] });

        Assert.Equal(AclOperation.Write | AclOperation.Describe, store.Allowed("agent", AclResourceType.Topic, "metrics"));
        Assert.Equal(AclOperation.None, store.Allowed("agent", AclResourceType.Topic, "metrics-2"));
        Assert.Equal(AclOperation.Read | AclOperation.Describe, store.Allowed("reader", AclResourceType.Topic, "logs-archive"));
        Assert.Equal(AclOperation.None, store.Allowed("reader", AclResourceType.Topic, "metrics"));
        Assert.Equal(AclOperation.Describe, store.Allowed("anyone", AclResourceType.Group, "g"));
        Assert.Equal(AclOperation.All, store.Allowed("admin", AclResourceType.Cluster, "kafka-cluster"));

        var reopened = new AclStore(Path.Combine(dir.Path, "acls.json"), []);
        Assert.Equal(3, reopened.Rules.Count);
        Assert.True(reopened.Remove("agent", AclResourceType.Topic, "metrics", [AclOperation.Write]));
        Assert.Equal(2, reopened.Rules.Count);
    }

    [Fact]
    public void AclRule_BadOperation_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => AclRule.ParseOperations("Read,Fly"));
        Assert.Throws<ArgumentException>(() => AclRule.ParseOperations(""));
        Assert.Equal([AclOperation.Read, AclOperation.All], AclRule.ParseOperations("read, all"));
    }

    [Fact]
    public void SecurityCli_UsersAndAcls_ManageTheFilesWithoutPrintingSecrets()
    {
        using var dir = new TempDirectory("cli");
        var options = new BrokerOptions { DataDirectory = dir.Path };
        var passwordFile = Path.Combine(dir.Path, "pw.txt");
        File.WriteAllText(passwordFile, "hunter2\n");
        var output = new StringWriter();
        var errors = new StringWriter();

        Assert.Equal(0, SecurityCli.Run(["users", "add", "alice", "--password-file", passwordFile], options, TextReader.Null, output, errors));
        Assert.Equal(0, SecurityCli.Run(["users", "add", "bob", "--password-stdin"], options, new StringReader("pw-bob\n"), output, errors));
        Assert.Equal(0, SecurityCli.Run(["users", "list"], options, TextReader.Null, output, errors));
        Assert.Equal(0, SecurityCli.Run(["acls", "add", "--principal", "alice", "--topic", "metrics*", "--operations", "Read,Write"], options, TextReader.Null, output, errors));
        Assert.Equal(0, SecurityCli.Run(["acls", "list"], options, TextReader.Null, output, errors));
        Assert.Equal(2, SecurityCli.Run(["users", "add", "carol"], options, TextReader.Null, output, errors));
        Assert.Equal(2, SecurityCli.Run(["acls", "add", "--principal", "x", "--topic", "t", "--group", "g", "--operations", "Read"], options, TextReader.Null, output, errors));
        Assert.Equal(1, SecurityCli.Run(["users", "remove", "nobody"], options, TextReader.Null, output, errors));
        Assert.Equal(0, SecurityCli.Run(["users", "remove", "bob"], options, TextReader.Null, output, errors));

        var text = output.ToString();
        Assert.Contains("alice\nbob\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("alice topic:metrics* Read,Write", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", text + errors, StringComparison.Ordinal);
        var stored = new CredentialStore(Path.Combine(dir.Path, "security", "users.json"));
        Assert.Equal(["alice"], stored.List());
        Assert.DoesNotContain(Convert.ToBase64String(stored.Find("alice")!.StoredKey), text, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownUser_SameSaltAcrossRestarts_AndTheStoredUsersIterations()
    {
        using var dir = new TempDirectory("unknown-user");
        var path = Path.Combine(dir.Path, "security", "users.json");
        var store = new CredentialStore(path);
        store.Set("alice", "pw-alice", 20_000);
        store.Set("bob", "pw-bob", 20_000);
        Assert.Null(store.Find("mallory"));

        var first = store.UnknownUser("mallory");
        var restarted = new CredentialStore(path);
        Assert.Null(restarted.Find("mallory"));
        var second = restarted.UnknownUser("mallory");

        Assert.Equal(first.Salt, second.Salt);
        Assert.Equal(20_000, second.Iterations);
        Assert.NotEqual(first.Salt, restarted.UnknownUser("trudy").Salt);
    }
}
