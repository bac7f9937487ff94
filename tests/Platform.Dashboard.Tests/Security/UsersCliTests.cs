using Platform.Alerting.Security;
using Platform.Dashboard.Security;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Security;

public sealed class UsersCliTests : IDisposable
{
    private readonly TempDirectory _dir = new("platform-users-cli");

    public void Dispose() => _dir.Dispose();

    private (int Code, string Out, string Error) Run(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = UsersCli.Run([.. args, "--data", _dir.Path], new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void UsersCli_AddWithPasswordFromStdin_ThenRecoverWithAGeneratedPassword()
    {
        Assert.Equal(0, Run("first password\n", "add", "ann", "--role", "admin", "--password-stdin").Code);
        var store = new UserStore(DashboardSecurity.UsersFile(_dir.Path));
        Assert.NotNull(store.Verify("ann", "first password"));

        var (code, output, _) = Run(string.Empty, "set-password", "ann");
        Assert.Equal(0, code);
        var printed = output.Split(": ")[^1].Trim();
        Assert.NotNull(store.Verify("ann", printed));
        Assert.Contains("ann", Run(string.Empty, "list").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void UsersCli_RefusesWithClearMessages()
    {
        Assert.Equal(2, Run(string.Empty, "add", "ann", "--role", "root").Code);
        Assert.Equal(2, Run("short\n", "add", "ann", "--password-stdin").Code);
        Assert.Equal(2, Run(string.Empty, "frobnicate").Code);
        Assert.Equal(0, Run(string.Empty, "add", "ann", "--role", "admin").Code);
        var (code, _, error) = Run(string.Empty, "remove", "ann");
        Assert.Equal(1, code);
        Assert.Contains("last admin", error, StringComparison.Ordinal);
    }
}
