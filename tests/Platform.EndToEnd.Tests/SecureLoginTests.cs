using Microsoft.Playwright;

namespace Platform.EndToEnd.Tests;

/// <summary>Signing in to the dashboard with security on, in Chromium: the redirect to /login, a wrong and a right password, and what a viewer may not do.</summary>
[Trait("Category", "EndToEnd")]
public sealed class SecureLoginTests(SecureAllInOneFixture fixture) : IClassFixture<SecureAllInOneFixture>
{
    private static async Task SignInAsync(IPage page, string user, string password)
    {
        await page.Locator("[data-testid=login-user]").FillAsync(user);
        await page.Locator("[data-testid=login-password]").FillAsync(password);
        await page.Locator("[data-testid=login-submit]").ClickAsync();
    }

    [Fact]
    public async Task Login_RedirectsToLogin_RejectsAWrongPassword_AndLandsOnTheFleet()
    {
        var page = await fixture.Browser.Instance.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(fixture.Host.Url + "/");
        await page.WaitForURLAsync("**/login?returnUrl=%2F");

        await SignInAsync(page, "admin", "not the password");
        await Assertions.Expect(page.Locator("[data-testid=login-error]")).ToContainTextAsync("Wrong user name or password.");
        await Browser.ScreenshotAsync(page, "login-wrong-password");

        await SignInAsync(page, "admin", fixture.AdminPassword);
        await page.WaitForURLAsync(fixture.Host.Url + "/");
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=sign-out]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=security-off-banner]")).Not.ToBeAttachedAsync();
        await Browser.ScreenshotAsync(page, "login-fleet");

        // The admin's actions reach the API on the admin's behalf: switching a rule off goes through.
        await page.GotoAsync(fixture.Host.Url + "/rules");
        await Browser.WaitForCircuitAsync(page);
        var row = page.Locator("[data-testid=rule-row][data-rule=default-cpu-high]");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-enabled", "true");
        await row.Locator("input[data-testid=rule-enabled], [data-testid=rule-enabled] input").First.ClickAsync(new LocatorClickOptions { Force = true });
        await Assertions.Expect(row).ToHaveAttributeAsync("data-enabled", "false");

        // The admin's users page lists the first admin and the viewer.
        await page.Locator("[data-testid=nav-users]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=user-row][data-user=vic]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=user-row][data-user=admin]")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "login-users");

        // Signing out ends the session: the next page asks for the login again.
        await page.Locator("[data-testid=sign-out]").ClickAsync();
        await page.WaitForURLAsync("**/login");
        await page.GotoAsync(fixture.Host.Url + "/alerts");
        await page.WaitForURLAsync("**/login?returnUrl=%2Falerts");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Viewer_DoesNotSeeTheRuleEditorsSaveButton()
    {
        await using var context = await fixture.Browser.Instance.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(fixture.Host.Url + "/rules");
        await page.WaitForURLAsync("**/login?returnUrl=%2Frules");
        await SignInAsync(page, "vic", SecureAllInOneFixture.ViewerPassword);
        await page.WaitForURLAsync(fixture.Host.Url + "/rules");
        await Browser.WaitForCircuitAsync(page);

        var row = page.Locator("[data-testid=rule-row][data-rule=default-cpu-high]");
        await row.Locator("[data-testid=edit-rule]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=rule-form]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=save-rule]")).Not.ToBeAttachedAsync();
        await Assertions.Expect(page.Locator("[data-testid=new-rule]")).Not.ToBeAttachedAsync();
        await Assertions.Expect(page.Locator("[data-testid=nav-users]")).Not.ToBeAttachedAsync();
        await Browser.ScreenshotAsync(page, "login-viewer-rules");

        // The users page is an admin's: the viewer is told so.
        await page.GotoAsync(fixture.Host.Url + "/users");
        await Assertions.Expect(page.Locator("[data-testid=login-notice]")).ToContainTextAsync("whose role may not open /users");
    }
}
