using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Alerting.Security;
using Platform.Dashboard.Components.Pages.Users;
using Platform.Dashboard.Security;
using Platform.TestKit;

namespace Platform.Dashboard.Tests.Components;

public sealed class UsersPageTests : DashboardTestContext
{
    private static readonly TempDirectory Directory = new("platform-users-page");

    private readonly UserStore _users;

    public UsersPageTests()
        : base(secure: true, configure: s => s
            .AddSingleton(new UserStore(Path.Combine(Directory.Path, Guid.NewGuid().ToString("N") + ".json")))
            .AddLogging()
            .AddSingleton(new LoginThrottle(TimeProvider.System))
            .AddSingleton<LoginService>())
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        _users = Services.GetRequiredService<UserStore>();
        _users.Add("root", PlatformRoles.Admin, "root password 1");
        SignInAs("root");
    }

    // The page checks each action against the stored user: the principal carries the stamp of root's record.
    private void SignInAs(string name)
    {
        var user = _users.Find(name)!;
        Authorization.SetAuthorized(name);
        Authorization.SetRoles(user.Role);
        Authorization.SetClaims(new Claim(PlatformPrincipal.StampClaim, user.Stamp));
    }

    [Fact]
    public void UsersPage_AdminDemotedWhileThePageIsOpen_CannotAddAUser()
    {
        _users.Add("other", PlatformRoles.Admin, "other password 1");
        var page = Render<UsersPage>();
        _users.SetRole("root", PlatformRoles.Viewer);

        ChangeTo(page, "new-user-name", "ann");
        ClickOn(page, "[data-testid=add-user]");

        page.WaitForAssertion(() => Assert.Equal(UsersPage.NoLongerAdmin, page.Find("[data-testid=users-error]").TextContent.Trim()));
        Assert.Null(_users.Find("ann"));
        Assert.Empty(page.FindAll("[data-testid=user-row]"));
    }

    [Fact]
    public void UsersPage_AdminDeletedWhileThePageIsOpen_CannotResetAPassword()
    {
        _users.Add("other", PlatformRoles.Admin, "other password 1");
        var page = Render<UsersPage>();
        _users.Remove("root");

        ClickOn(page, "[data-testid=user-row][data-user=other] [data-testid=reset-password]");

        page.WaitForAssertion(() => Assert.Equal(UsersPage.NoLongerAdmin, page.Find("[data-testid=users-error]").TextContent.Trim()));
        Assert.NotNull(_users.Verify("other", "other password 1"));
    }

    [Fact]
    public async Task ChangePasswordDialog_SixthWrongCurrentPassword_IsRefusedWithoutACheck()
    {
        var provider = Render<MudBlazor.MudDialogProvider>();
        var dialogs = Services.GetRequiredService<MudBlazor.IDialogService>();
        await provider.InvokeAsync(() => dialogs.ShowAsync<Platform.Dashboard.Components.Shared.ChangePasswordDialog>("Change password"));
        var failures = SecurityMetrics.Logins.WithLabels(SecurityMetrics.PasswordChange, SecurityMetrics.Failure).Value;
        ChangeTo(provider, "new-password", "a brand new password");
        ChangeTo(provider, "repeat-password", "a brand new password");
        for (var i = 0; i < 5; i++)
        {
            ChangeTo(provider, "current-password", "guess " + i);
            ClickOn(provider, "[data-testid=change-password-save]");
            var expected = failures + i + 1;
            provider.WaitForAssertion(() => Assert.True(SecurityMetrics.Logins.WithLabels(SecurityMetrics.PasswordChange, SecurityMetrics.Failure).Value >= expected));
        }

        ChangeTo(provider, "current-password", "root password 1");
        ClickOn(provider, "[data-testid=change-password-save]");

        provider.WaitForAssertion(() => Assert.StartsWith("Too many wrong passwords", provider.Find("[data-testid=change-password-error]").TextContent.Trim(), StringComparison.Ordinal));
        Assert.NotNull(_users.Verify("root", "root password 1"));
    }

    [Fact]
    public void UsersPage_AddsAUser_WithAGeneratedPasswordShownOnce()
    {
        var page = Render<UsersPage>();
        ChangeTo(page, "new-user-name", "ann");
        ClickOn(page, "[data-testid=add-user]");

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=user-row]").Count));
        var shown = page.Find("[data-testid=users-password] code").TextContent;
        Assert.Equal(PlatformRoles.Viewer, _users.Verify("ann", shown)?.Role);
    }

    [Fact]
    public async Task ChangePasswordDialog_AsksForTheCurrentPassword_ThenChangesItAndGoesToTheLogin()
    {
        var provider = Render<MudBlazor.MudDialogProvider>();
        var dialogs = Services.GetRequiredService<MudBlazor.IDialogService>();
        await provider.InvokeAsync(() => dialogs.ShowAsync<Platform.Dashboard.Components.Shared.ChangePasswordDialog>("Change password"));

        ChangeTo(provider, "current-password", "not the password");
        ChangeTo(provider, "new-password", "a brand new password");
        ChangeTo(provider, "repeat-password", "a brand new password");
        ClickOn(provider, "[data-testid=change-password-save]");
        provider.WaitForAssertion(() => Assert.Equal("The current password is wrong.", provider.Find("[data-testid=change-password-error]").TextContent.Trim()));

        ChangeTo(provider, "current-password", "root password 1");
        ClickOn(provider, "[data-testid=change-password-save]");
        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        provider.WaitForAssertion(() => Assert.EndsWith("/login?changed=1", navigation.Uri, StringComparison.Ordinal));
        Assert.NotNull(_users.Verify("root", "a brand new password"));
    }

    [Fact]
    public void UsersPage_ResetPassword_ShowsTheNewPasswordOnce_AndTheOldStopsWorking()
    {
        var page = Render<UsersPage>();
        ClickOn(page, "[data-testid=user-row][data-user=root] [data-testid=reset-password]");
        page.WaitForAssertion(() => Assert.Contains("root", page.Find("[data-testid=users-password]").TextContent, StringComparison.Ordinal));
        Assert.Null(_users.Verify("root", "root password 1"));
    }
}
