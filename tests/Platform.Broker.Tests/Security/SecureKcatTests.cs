using Platform.Broker.Tests.Integration;

namespace Platform.Broker.Tests.Security;

/// <summary>kcat with SASL_SSL and SCRAM-SHA-256 against the secured broker.</summary>
[Collection(SecureBrokerCollectionDefinition.Name)]
public class SecureKcatTests(SecureBrokerFixture fixture)
{
    private static Task<(int ExitCode, string Output, string Error)> RunAsync(IEnumerable<string> arguments, string? input, CancellationToken ct) =>
        KcatProcess.RunAsync(arguments, input, ct);

    private List<string> Common(string user, string password) =>
    [
        "-b", fixture.Bootstrap, "-X", "broker.address.family=v4",
        "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-256",
        "-X", $"sasl.username={user}", "-X", $"sasl.password={password}", "-X", $"ssl.ca.location={fixture.Ca.CaCertificatePath}",
    ];

    [Fact]
    public async Task Kcat_WrongPassword_IsRejected()
    {
        var ct = TestContext.Current.CancellationToken;

        var (code, _, error) = await RunAsync([.. Common("admin", "not-the-password"), "-L", "-m", "5"], null, ct);

        Assert.NotEqual(0, code);
        Assert.Contains("invalid credentials", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Kcat_RightPassword_ListsMetadataAndRoundTripsAMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("shared-kcat");
        fixture.Broker.Log.CreateTopic(topic, 1);

        var listed = await RunAsync([.. Common("admin", SecureBrokerFixture.AdminPassword), "-L", "-t", topic], null, ct);
        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.Contains($"topic \"{topic}\" with 1 partitions", listed.Output, StringComparison.Ordinal);

        var produced = await RunAsync([.. Common("admin", SecureBrokerFixture.AdminPassword), "-P", "-t", topic, "-p", "0"], "hello over tls\n", ct);
        Assert.True(produced.ExitCode == 0, produced.Error);

        var consumed = await RunAsync([.. Common("reader", SecureBrokerFixture.ReaderPassword), "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"], null, ct);
        Assert.True(consumed.ExitCode == 0, consumed.Error);
        Assert.Equal("hello over tls", consumed.Output.Trim());
    }

    [Fact]
    public async Task Kcat_AgentPrincipal_ReadingMetrics_GetsAnAuthorizationError()
    {
        var ct = TestContext.Current.CancellationToken;

        var consumed = await RunAsync([.. Common("agent", SecureBrokerFixture.AgentPassword), "-C", "-t", "metrics", "-p", "0", "-o", "beginning", "-e", "-q"], null, ct);

        Assert.NotEqual(0, consumed.ExitCode);
        Assert.Contains("authorization failed", consumed.Error, StringComparison.OrdinalIgnoreCase);
    }
}
