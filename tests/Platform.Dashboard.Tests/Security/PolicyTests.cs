using Platform.Alerting;
using Platform.Alerting.Security;

namespace Platform.Dashboard.Tests.Security;

public class PolicyTests
{
    [Theory]
    [InlineData("GET", "/api/rules", PlatformPolicies.View)]
    [InlineData("GET", "/api/channels", PlatformPolicies.View)]
    [InlineData("POST", "/api/rules/validate", PlatformPolicies.View)]
    [InlineData("POST", "/api/alerts/{fingerprint}/ack", PlatformPolicies.Operate)]
    [InlineData("POST", "/api/silences", PlatformPolicies.Operate)]
    [InlineData("DELETE", "/api/silences/{id}", PlatformPolicies.Operate)]
    [InlineData("POST", "/api/rules/backtest", PlatformPolicies.Operate)]
    [InlineData("POST", "/api/rules", PlatformPolicies.Administer)]
    [InlineData("PUT", "/api/rules/{id}", PlatformPolicies.Administer)]
    [InlineData("DELETE", "/api/rules/{id}", PlatformPolicies.Administer)]
    [InlineData("POST", "/api/rules/import", PlatformPolicies.Administer)]
    [InlineData("PUT", "/api/channels/{id}", PlatformPolicies.Administer)]
    [InlineData("POST", "/api/channels/{id}/test", PlatformPolicies.Administer)]
    [InlineData("POST", "/rules", PlatformPolicies.Administer)]
    public void PolicyFor_GivesEachEndpointClassItsRole(string method, string route, string policy) =>
        Assert.Equal(policy, AlertingEndpointRouteBuilderExtensions.PolicyFor(method, route));

    [Fact]
    public void Policies_EachRoleIncludesTheOneBefore()
    {
        Assert.Equal(PlatformRoles.All, PlatformPolicies.RolesOf(PlatformPolicies.View));
        Assert.Equal([PlatformRoles.Operator, PlatformRoles.Admin], PlatformPolicies.RolesOf(PlatformPolicies.Operate));
        Assert.Equal([PlatformRoles.Admin], PlatformPolicies.RolesOf(PlatformPolicies.Administer));
    }
}
