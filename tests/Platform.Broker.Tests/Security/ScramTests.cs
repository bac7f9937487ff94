using System.Text;
using Platform.Broker.Security;

namespace Platform.Broker.Tests.Security;

public class ScramTests
{
    // RFC 7677 §3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
    private const string ClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private const string ServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private const string ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private const string ClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    private static readonly ScramCredential Pencil = ScramSha256.DeriveCredential("pencil", Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);

    private static ScramServerExchange Exchange(ScramCredential? credential = null) =>
        new(user => user == "user" ? credential ?? Pencil : null, serverNonce: ServerNonce);

    [Fact]
    public void Scram_Rfc7677Vector_ProducesServerFirstAndServerFinal()
    {
        var exchange = Exchange();

        var first = exchange.Step(Encoding.UTF8.GetBytes(ClientFirst));
        Assert.False(first.Failed);
        Assert.False(first.Complete);
        Assert.Equal(ServerFirst, Encoding.UTF8.GetString(first.Response));

        var final = exchange.Step(Encoding.UTF8.GetBytes(ClientFinal));
        Assert.Null(final.Error);
        Assert.True(final.Complete);
        Assert.Equal("user", final.User);
        Assert.Equal(ServerFinal, Encoding.UTF8.GetString(final.Response));
    }

    [Fact]
    public void Scram_WrongPassword_FailsAtTheProof()
    {
        var exchange = Exchange(ScramSha256.DeriveCredential("not-pencil", Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096));
        exchange.Step(Encoding.UTF8.GetBytes(ClientFirst));

        var final = exchange.Step(Encoding.UTF8.GetBytes(ClientFinal));

        Assert.True(final.Failed);
        Assert.Contains("invalid credentials", final.Error, StringComparison.Ordinal);
        Assert.Empty(final.Response);
    }

    [Fact]
    public void Scram_UnknownUser_GetsAStableMadeUpSaltAndFails()
    {
        var a = Exchange().Step("n,,n=mallory,r=abc"u8);
        var b = Exchange().Step("n,,n=mallory,r=xyz"u8);
        Assert.False(a.Failed);
        var saltA = Encoding.UTF8.GetString(a.Response).Split(',')[1];
        var saltB = Encoding.UTF8.GetString(b.Response).Split(',')[1];
        Assert.Equal(saltA, saltB);

        var exchange = Exchange();
        exchange.Step("n,,n=mallory,r=abc"u8);
        var final = exchange.Step(Encoding.UTF8.GetBytes($"c=biws,r=abc{ServerNonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        Assert.True(final.Failed);
    }

    [Theory]
    [InlineData("n,,r=nonce-without-user")]
    [InlineData("p=tls-unique,,n=user,r=abc")]
    [InlineData("x,,n=user,r=abc")]
    [InlineData("n,,m=ext,n=user,r=abc")]
    [InlineData("n,a=other,n=user,r=abc")]
    [InlineData("garbage")]
    public void Scram_MalformedClientFirst_IsRejected(string message)
    {
        var step = Exchange().Step(Encoding.UTF8.GetBytes(message));

        Assert.True(step.Failed);
    }

    [Fact]
    public void Scram_ClientFinalWithWrongNonceOrBinding_IsRejected()
    {
        var wrongNonce = Exchange();
        wrongNonce.Step(Encoding.UTF8.GetBytes(ClientFirst));
        Assert.True(wrongNonce.Step(Encoding.UTF8.GetBytes(ClientFinal.Replace("k0,p=", "k1,p=", StringComparison.Ordinal))).Failed);

        var wrongBinding = Exchange();
        wrongBinding.Step(Encoding.UTF8.GetBytes(ClientFirst));
        Assert.True(wrongBinding.Step(Encoding.UTF8.GetBytes(ClientFinal.Replace("c=biws", "c=eSws", StringComparison.Ordinal))).Failed);
    }

    [Fact]
    public void Credential_DerivedFromPassword_VerifiesOnlyThatPassword()
    {
        var credential = ScramSha256.CreateCredential("s3cret", 4096);

        Assert.True(ScramSha256.Verify(credential, "s3cret"));
        Assert.False(ScramSha256.Verify(credential, "s3cret "));
        Assert.Equal(32, credential.StoredKey.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => ScramSha256.CreateCredential("x", 1000));
    }

    [Fact]
    public void Plain_RightPassword_Authenticates()
    {
        var step = PlainAuthenticator.Authenticate("\0user\0pencil"u8, u => u == "user" ? Pencil : null, _ => Pencil);

        Assert.Null(step.Error);
        Assert.True(step.Complete);
        Assert.Equal("user", step.User);
    }

    [Theory]
    [InlineData("\0user\0pencil2")]
    [InlineData("\0nobody\0pencil")]
    [InlineData("other\0user\0pencil")]
    [InlineData("user-pencil")]
    [InlineData("\0user\0")]
    public void Plain_BadToken_Fails(string token)
    {
        var step = PlainAuthenticator.Authenticate(Encoding.UTF8.GetBytes(token), u => u == "user" ? Pencil : null, _ => Pencil);

        Assert.True(step.Failed);
        Assert.DoesNotContain("pencil", step.Error, StringComparison.Ordinal);
    }
}
