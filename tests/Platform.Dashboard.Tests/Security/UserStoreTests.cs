using Platform.Alerting.Security;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Security;

public sealed class UserStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("platform-users");

    private string File => Path.Combine(_dir.Path, "users.json");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void UserStore_WritesFileWithMode0600_WithoutThePassword()
    {
        var store = new UserStore(File);
        store.Add("ann", PlatformRoles.Operator, "correct horse battery");

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(File));
        }

        var text = System.IO.File.ReadAllText(File);
        Assert.DoesNotContain("correct horse battery", text, StringComparison.Ordinal);
        Assert.Contains("\"passwordHash\"", text, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp-*"));
    }

    [Fact]
    public void UserStore_Verify_AcceptsOnlyTheRightPassword()
    {
        var store = new UserStore(File);
        store.Add("ann", PlatformRoles.Viewer, "correct horse battery");

        Assert.Equal("ann", store.Verify("ann", "correct horse battery")?.Name);
        Assert.Null(store.Verify("ann", "Correct horse battery"));
        Assert.Null(store.Verify("bob", "correct horse battery"));
    }

    [Fact]
    public void UserStore_SameSaltNever_TwoUsersWithOnePasswordHaveDifferentHashes()
    {
        var store = new UserStore(File);
        var a = store.Add("ann", PlatformRoles.Viewer, "same password here");
        var b = store.Add("bob", PlatformRoles.Viewer, "same password here");
        Assert.NotEqual(a.PasswordHash, b.PasswordHash);
    }

    [Fact]
    public void UserStore_RefusesToRemoveOrDemote_TheLastAdmin()
    {
        var store = new UserStore(File);
        store.Add("root", PlatformRoles.Admin, "0123456789ab");
        store.Add("ann", PlatformRoles.Viewer, "0123456789ab");

        Assert.Throws<InvalidOperationException>(() => store.Remove("root"));
        Assert.Throws<InvalidOperationException>(() => store.SetRole("root", PlatformRoles.Viewer));

        store.SetRole("ann", PlatformRoles.Admin);
        store.Remove("root");
        Assert.Equal(["ann"], store.List().Select(u => u.Name));
    }

    [Fact]
    public void UserStore_RejectsBadNamesRolesAndShortPasswords()
    {
        var store = new UserStore(File);
        Assert.Throws<ArgumentException>(() => store.Add("a b", PlatformRoles.Viewer, "0123456789ab"));
        Assert.Throws<ArgumentException>(() => store.Add("ann", "root", "0123456789ab"));
        Assert.Throws<ArgumentException>(() => store.Add("ann", PlatformRoles.Viewer, "short"));
        store.Add("ann", PlatformRoles.Viewer, "0123456789ab");
        Assert.Throws<InvalidOperationException>(() => store.Add("ann", PlatformRoles.Viewer, "0123456789ab"));
        Assert.Throws<KeyNotFoundException>(() => store.SetPassword("bob", "0123456789ab"));
    }

    [Fact]
    public void UserStore_SeesChangesMadeByAnotherProcess()
    {
        var running = new UserStore(File);
        running.Add("ann", PlatformRoles.Viewer, "first password");
        var stamp = running.Find("ann")!.Stamp;

        new UserStore(File).SetPassword("ann", "second password");

        Assert.Null(running.Verify("ann", "first password"));
        Assert.NotNull(running.Verify("ann", "second password"));
        Assert.NotEqual(stamp, running.Find("ann")!.Stamp);
    }

    [Fact]
    public void UserStore_EnsureInitialAdmin_CreatesAdminOnce_WithAWorkingPassword()
    {
        var store = new UserStore(File);
        var password = store.EnsureInitialAdmin();

        Assert.NotNull(password);
        Assert.Equal(PlatformRoles.Admin, store.Verify("admin", password)?.Role);
        Assert.Null(store.EnsureInitialAdmin());
        Assert.DoesNotContain(password, System.IO.File.ReadAllText(File), StringComparison.Ordinal);
    }

    [Fact]
    public void UserStore_RefusesAFileThatIsNotAUsersFile()
    {
        System.IO.File.WriteAllText(File, "{\"version\":7,\"users\":[]}");
        Assert.Throws<InvalidDataException>(() => new UserStore(File));
        System.IO.File.WriteAllText(File, "not json");
        Assert.Throws<InvalidDataException>(() => new UserStore(File));
    }
}

public sealed class CredentialCacheTests : IDisposable
{
    private readonly TempDirectory _dir = new("platform-credential-cache");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void CredentialCache_AnswersOnlyTheSamePassword_UntilTheUserChanges()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var users = new UserStore(Path.Combine(_dir.Path, "users.json"));
        var cache = new CredentialCache(clock, TimeSpan.FromMinutes(5));
        var ann = users.Add("ann", PlatformRoles.Viewer, "first password");

        Assert.Null(cache.Find("ann", "first password", users));
        cache.Add(ann, "first password");
        Assert.Equal("ann", cache.Find("ann", "first password", users)?.Name);
        Assert.Null(cache.Find("ann", "other password", users));

        users.SetRole("ann", PlatformRoles.Operator);
        Assert.Null(cache.Find("ann", "first password", users));

        cache.Add(users.Find("ann")!, "first password");
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(cache.Find("ann", "first password", users));
    }
}
