using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Alerting.Security;
using Platform.Dashboard.Security;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Security;

public sealed class RevalidationTests : IDisposable
{
    private readonly TempDirectory _dir = new("platform-revalidate");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("deleted")]
    [InlineData("demoted")]
    public async Task OpenPage_UserDeletedOrDemoted_BecomesAnonymous(string change)
    {
        var users = new UserStore(Path.Combine(_dir.Path, change + ".json"));
        users.Add("root", PlatformRoles.Admin, "root password 1");
        users.Add("ann", PlatformRoles.Admin, "ann password 12");
        using var provider = new UserRevalidatingStateProvider(NullLoggerFactory.Instance, users, TimeSpan.FromMilliseconds(100));
        var principal = PlatformPrincipal.Create(users.Find("ann")!, "test");
        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        var changed = new TaskCompletionSource<AuthenticationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.AuthenticationStateChanged += async state => changed.TrySetResult(await state);

        Assert.True((await provider.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated);
        if (change == "deleted")
        {
            users.Remove("ann");
        }
        else
        {
            users.SetRole("ann", PlatformRoles.Viewer);
        }

        var state = await changed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.False(state.User.Identity?.IsAuthenticated);
    }
}
