using System.Diagnostics;
using System.Text;
using Platform.Broker.Security;
using Platform.Broker.Tests.Integration;
using Platform.TestKit;

namespace Platform.Broker.Tests.Security;

/// <summary>
/// The SASL exchange over raw sockets (SASL_PLAINTEXT, so the frames are visible): what is allowed before
/// authentication, both token framings, Kafka's error codes, and the per-address limit on failures.
/// </summary>
public sealed class SaslProtocolTests : IAsyncLifetime
{
    private const string Password = "pw-alice";
    private const string BobPassword = "pw-bob";
    private static readonly TimeSpan FailureWindow = TimeSpan.FromSeconds(3);
    private readonly TempDirectory _directory = new("sasl-raw");
    private BrokerServer _broker = null!;

    public async ValueTask InitializeAsync()
    {
        var options = BrokerFixture.Options(_directory.Path);
        options.MetricsListen = null;
        options.Security.Enabled = true;
        options.Security.SuperUsers.Add("alice");
        options.Security.MaxFailedAuthentications = 5;
        options.Security.FailureWindow = FailureWindow;
        options.Security.FailureDelay = TimeSpan.Zero;
        var credentials = new CredentialStore(options.Security.CredentialsPath(_directory.Path));
        credentials.Set("alice", Password, 4096);
        credentials.Set("bob", BobPassword, 4096);
        new AclStore(options.Security.AclPath(_directory.Path), []).Add(
            new AclRule { Principal = "bob", ResourceType = AclResourceType.Group, Name = "bob-*", Operations = [AclOperation.Read] });
        _broker = await BrokerServer.StartAsync(options, BrokerFixture.CreateLoggerFactory());
    }

    public async ValueTask DisposeAsync()
    {
        await _broker.DisposeAsync();
        _directory.Dispose();
    }

    private static byte[] PlainToken(string user, string password) => Encoding.UTF8.GetBytes($"\0{user}\0{password}");

    private static Task<(short Error, string? Message)> HandshakeAndAuthenticateAsync(RawKafkaClient raw, string password, CancellationToken ct) =>
        HandshakeAndAuthenticateAsync(raw, "alice", password, ct);

    private static async Task<(short Error, string? Message)> HandshakeAndAuthenticateAsync(RawKafkaClient raw, string user, string password, CancellationToken ct)
    {
        var handshake = new ResponseReader(await raw.SendAsync(17, 1, w => w.String("PLAIN"), ct));
        Assert.Equal(0, handshake.Int16());
        var auth = new ResponseReader(await raw.SendAsync(36, 1, w => w.Bytes(PlainToken(user, password)), ct));
        return (auth.Int16(), auth.String());
    }

    private static Task<byte[]> MetadataAsync(RawKafkaClient raw, CancellationToken ct) =>
        raw.SendAsync(3, 1, w => w.Int32(-1), ct);

    [Fact]
    public async Task Produce_BeforeAuthentication_ClosesTheConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        var before = _broker.Metrics.UnauthenticatedRequests.Value;

        // Produce v3: transactional id, acks, timeout, no topics.
        var frame = new RequestWriter().Int16(0).Int16(3).Int32(1).String("raw").String(null).Int16(1).Int32(1000).Int32(0).ToFrame();
        await raw.SendRawAsync(frame, ct);

        Assert.Null(await raw.ReadFrameAsync(ct));
        Assert.Equal(before + 1, _broker.Metrics.UnauthenticatedRequests.Value);
    }

    [Fact]
    public async Task ApiVersions_BeforeAuthentication_IsAnsweredWithTheSaslApis()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);

        var r = new ResponseReader(await raw.SendAsync(18, 1, _ => { }, ct));

        Assert.Equal(0, r.Int16());
        var apis = new Dictionary<short, (short, short)>();
        for (int i = 0, n = r.Int32(); i < n; i++)
        {
            apis[r.Int16()] = (r.Int16(), r.Int16());
        }

        Assert.Equal((0, 1), apis[17]);
        Assert.Equal((0, 2), apis[36]);
    }

    [Fact]
    public async Task SaslAuthenticateV1_RightPassword_ThenRequestsAreServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);

        var (error, message) = await HandshakeAndAuthenticateAsync(raw, Password, ct);

        Assert.Equal(0, error);
        Assert.Null(message);
        Assert.NotEmpty(await MetadataAsync(raw, ct));
    }

    [Fact]
    public async Task SaslAuthenticateV1_WrongPassword_Answers58AndAcceptsNothingMore()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);

        var (error, message) = await HandshakeAndAuthenticateAsync(raw, "wrong", ct);

        Assert.Equal(58, error);
        Assert.Contains("Invalid username or password", message, StringComparison.Ordinal);
        await raw.SendRawAsync(new RequestWriter().Int16(3).Int16(1).Int32(9).String("raw").Int32(-1).ToFrame(), ct);
        Assert.Null(await raw.ReadFrameAsync(ct));
    }

    [Fact]
    public async Task SaslAuthenticateV2_FlexibleEncoding_Authenticates()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        Assert.Equal(0, new ResponseReader(await raw.SendAsync(17, 1, w => w.String("PLAIN"), ct)).Int16());
        var token = PlainToken("alice", Password);

        // Header v2 tags, then compact bytes (length + 1) and the body's tags.
        var body = await raw.SendAsync(36, 2, w => w.Raw([0, (byte)(token.Length + 1)]).Raw(token).Raw([0]), ct);

        Assert.Equal(0, body[0]); // response header v1 tags
        Assert.Equal(0, (body[1] << 8) | body[2]); // error
        Assert.Equal(0, body[3]); // null message
        Assert.Equal(1, body[4]); // empty token
        Assert.NotEmpty(await MetadataAsync(raw, ct));
    }

    [Fact]
    public async Task SaslHandshakeV0_RawTokenFraming_Authenticates()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        Assert.Equal(0, new ResponseReader(await raw.SendAsync(17, 0, w => w.String("PLAIN"), ct)).Int16());

        await raw.SendRawAsync(new RequestWriter().Raw(PlainToken("alice", Password)).ToFrame(), ct);
        var answer = await raw.ReadFrameAsync(ct);

        Assert.NotNull(answer);
        Assert.Empty(answer);
        Assert.NotEmpty(await MetadataAsync(raw, ct));
    }

    [Fact]
    public async Task ScramOverSaslAuthenticate_ReturnsTheServerSignature_ThenRequestsAreServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        Assert.Equal(0, new ResponseReader(await raw.SendAsync(17, 1, w => w.String("SCRAM-SHA-256"), ct)).Int16());
        var (first, final) = ScramClient.Start("alice", Password);

        var r1 = new ResponseReader(await raw.SendAsync(36, 1, w => w.Bytes(first), ct));
        Assert.Equal(0, r1.Int16());
        Assert.Null(r1.String());
        var (clientFinal, expected) = final(r1.Bytes()!);
        var r2 = new ResponseReader(await raw.SendAsync(36, 1, w => w.Bytes(clientFinal), ct));

        Assert.Equal(0, r2.Int16());
        Assert.Null(r2.String());
        Assert.Equal(expected, Encoding.UTF8.GetString(r2.Bytes()!));
        Assert.NotEmpty(await MetadataAsync(raw, ct));
    }

    [Fact]
    public async Task ScramOverRawTokens_AfterHandshakeV0_Authenticates()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        Assert.Equal(0, new ResponseReader(await raw.SendAsync(17, 0, w => w.String("SCRAM-SHA-256"), ct)).Int16());
        var (first, final) = ScramClient.Start("alice", Password);

        await raw.SendRawAsync(new RequestWriter().Raw(first).ToFrame(), ct);
        var serverFirst = await raw.ReadFrameAsync(ct);
        Assert.NotNull(serverFirst);
        var (clientFinal, expected) = final(serverFirst);
        await raw.SendRawAsync(new RequestWriter().Raw(clientFinal).ToFrame(), ct);
        var serverFinal = await raw.ReadFrameAsync(ct);

        Assert.Equal(expected, Encoding.UTF8.GetString(serverFinal!));
        Assert.NotEmpty(await MetadataAsync(raw, ct));
    }

    [Fact]
    public async Task ScramOverRawTokens_WrongPassword_ClosesTheConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        Assert.Equal(0, new ResponseReader(await raw.SendAsync(17, 0, w => w.String("SCRAM-SHA-256"), ct)).Int16());
        var (first, final) = ScramClient.Start("alice", "not-" + Password);
        await raw.SendRawAsync(new RequestWriter().Raw(first).ToFrame(), ct);
        var (clientFinal, _) = final((await raw.ReadFrameAsync(ct))!);

        await raw.SendRawAsync(new RequestWriter().Raw(clientFinal).ToFrame(), ct);

        Assert.Null(await raw.ReadFrameAsync(ct));
    }

    [Fact]
    public async Task SaslHandshake_UnknownMechanism_Answers33WithTheOfferedOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);

        var r = new ResponseReader(await raw.SendAsync(17, 1, w => w.String("GSSAPI"), ct));

        Assert.Equal(33, r.Int16());
        Assert.Equal(2, r.Int32());
        Assert.Equal("SCRAM-SHA-256", r.String());
        Assert.Equal("PLAIN", r.String());
    }

    [Fact]
    public async Task SaslAuthenticate_WithoutHandshake_Answers34()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);

        var r = new ResponseReader(await raw.SendAsync(36, 1, w => w.Bytes(PlainToken("alice", Password)), ct));

        Assert.Equal(34, r.Int16());
    }

    [Fact]
    public async Task RateLimit_SixthAttemptAfterFiveFailures_IsRefusedEvenWithTheRightPassword_UntilTheWindowPasses()
    {
        var ct = TestContext.Current.CancellationToken;

        // The sixth attempt must be refused when the five failures before it fall in the 3 s window. Timed around the
        // attempts (which bounds their span at the broker): a machine too loaded to fit six attempts in the window
        // tries again (its earlier failures only add to the count) rather than failing on a precondition it missed.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "six authentication attempts never fitted in the failure window");
            var attempts = Stopwatch.StartNew();
            for (var i = 0; i < 5; i++)
            {
                await using var bad = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
                Assert.Equal(58, (await HandshakeAndAuthenticateAsync(bad, "guess-" + i, ct)).Error);
            }

            await using var sixth = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
            var (error, message) = await HandshakeAndAuthenticateAsync(sixth, Password, ct);
            if (attempts.Elapsed < FailureWindow)
            {
                Assert.Equal(58, error);
                Assert.Contains("Too many failed authentications", message, StringComparison.Ordinal);
                break;
            }
        }

        Assert.True(_broker.Metrics.SaslRateLimited.Value >= 1);
        await Poll.UntilAsync(async () =>
        {
            await using var again = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
            return (await HandshakeAndAuthenticateAsync(again, Password, ct)).Error == 0;
        }, TimeSpan.FromSeconds(30), "authentication accepted again after the window", ct);
    }

    [Fact]
    public async Task RateLimit_ManyConnectionsSendingProofsAtOnce_VerifyAtMostTheLimit()
    {
        var ct = TestContext.Current.CancellationToken;
        var failuresBefore = _broker.Metrics.SaslFailures.WithLabels("SCRAM-SHA-256").Value;

        // 20 connections from one address each send client-first, then each sends one wrong proof.
        var connections = new List<RawKafkaClient>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                connections.Add(await RawKafkaClient.ConnectAsync(_broker.BootstrapServers));
            }

            var firsts = await Task.WhenAll(connections.Select(async raw =>
            {
                Assert.Equal(0, new ResponseReader(await raw.SendAsync(17, 1, w => w.String("SCRAM-SHA-256"), ct)).Int16());
                var (first, final) = ScramClient.Start("alice", "guess");
                var r = new ResponseReader(await raw.SendAsync(36, 1, w => w.Bytes(first), ct));
                Assert.Equal(0, r.Int16());
                r.String();
                return (final, serverFirst: r.Bytes()!);
            }));

            var proofs = await Task.WhenAll(connections.Zip(firsts).Select(async p =>
            {
                var (clientFinal, _) = p.Second.final(p.Second.serverFirst);
                var r = new ResponseReader(await p.First.SendAsync(36, 1, w => w.Bytes(clientFinal), ct));
                return (Error: r.Int16(), Message: r.String());
            }));

            Assert.All(proofs, p => Assert.Equal(58, p.Error));
            Assert.Equal(5, proofs.Count(p => p.Message!.Contains("invalid credentials", StringComparison.Ordinal)));
            Assert.Equal(15, proofs.Count(p => p.Message!.Contains("Too many failed authentications", StringComparison.Ordinal)));
            Assert.Equal(failuresBefore + 5, _broker.Metrics.SaslFailures.WithLabels("SCRAM-SHA-256").Value);
        }
        finally
        {
            foreach (var raw in connections)
            {
                await raw.DisposeAsync();
            }
        }

        // The right password is refused too until the failures leave the window.
        await using (var right = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers))
        {
            var (error, message) = await HandshakeAndAuthenticateAsync(right, Password, ct);
            Assert.Equal(58, error);
            Assert.Contains("Too many failed authentications", message, StringComparison.Ordinal);
        }

        await Poll.UntilAsync(async () =>
        {
            await using var again = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
            return (await HandshakeAndAuthenticateAsync(again, Password, ct)).Error == 0;
        }, TimeSpan.FromSeconds(30), "authentication accepted again after the window", ct);
    }

    [Fact]
    public async Task RateLimit_ConcurrentPlainGuesses_VerifyAtMostTheLimit()
    {
        var ct = TestContext.Current.CancellationToken;
        var failuresBefore = _broker.Metrics.SaslFailures.WithLabels("PLAIN").Value;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
            return await HandshakeAndAuthenticateAsync(raw, "guess-" + i, ct);
        }));

        Assert.All(outcomes, o => Assert.Equal(58, o.Error));
        Assert.Equal(5, outcomes.Count(o => o.Message!.Contains("Invalid username or password", StringComparison.Ordinal)));
        Assert.Equal(15, outcomes.Count(o => o.Message!.Contains("Too many failed authentications", StringComparison.Ordinal)));
        Assert.Equal(failuresBefore + 5, _broker.Metrics.SaslFailures.WithLabels("PLAIN").Value);
        await Poll.UntilAsync(async () =>
        {
            await using var again = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
            return (await HandshakeAndAuthenticateAsync(again, Password, ct)).Error == 0;
        }, TimeSpan.FromSeconds(30), "authentication accepted again after the window", ct);
    }

    [Fact]
    public async Task GroupApis_WithoutReadOnTheGroup_Answer30_AndOffsetApisOnAnUnreadableTopic_Answer29()
    {
        var ct = TestContext.Current.CancellationToken;
        _broker.Log.CreateTopic("secret", 1);
        await using var raw = await RawKafkaClient.ConnectAsync(_broker.BootstrapServers);
        Assert.Equal(0, (await HandshakeAndAuthenticateAsync(raw, "bob", BobPassword, ct)).Error);

        // Heartbeat v0: group, generation, member → error.
        var heartbeat = new ResponseReader(await raw.SendAsync(12, 0, w => w.String("other-group").Int32(1).String("m"), ct));
        Assert.Equal(30, heartbeat.Int16());

        // LeaveGroup v0: group, member → error.
        var leave = new ResponseReader(await raw.SendAsync(13, 0, w => w.String("other-group").String("m"), ct));
        Assert.Equal(30, leave.Int16());

        // SyncGroup v0: group, generation, member, assignments [] → error, assignment.
        var sync = new ResponseReader(await raw.SendAsync(14, 0, w => w.String("other-group").Int32(1).String("m").Int32(0), ct));
        Assert.Equal(30, sync.Int16());

        // OffsetCommit v2: group, generation, member, retention, [topic, [partition, offset, metadata]] → [topic, [partition, error]].
        async Task<short> CommitAsync(string group)
        {
            var r = new ResponseReader(await raw.SendAsync(8, 2, w => w.String(group).Int32(-1).String("").Int64(-1)
                .Int32(1).String("secret").Int32(1).Int32(0).Int64(1).String(null), ct));
            Assert.Equal(1, r.Int32());
            Assert.Equal("secret", r.String());
            Assert.Equal(1, r.Int32());
            Assert.Equal(0, r.Int32());
            return r.Int16();
        }

        Assert.Equal(30, await CommitAsync("other-group"));
        Assert.Equal(29, await CommitAsync("bob-group"));

        // OffsetFetch v1: group, [topic, [partition]] → [topic, [partition, offset, metadata, error]].
        async Task<short> FetchAsync(string group)
        {
            var r = new ResponseReader(await raw.SendAsync(9, 1, w => w.String(group).Int32(1).String("secret").Int32(1).Int32(0), ct));
            Assert.Equal(1, r.Int32());
            Assert.Equal("secret", r.String());
            Assert.Equal(1, r.Int32());
            Assert.Equal(0, r.Int32());
            r.Int64();
            r.String();
            return r.Int16();
        }

        Assert.Equal(30, await FetchAsync("other-group"));
        Assert.Equal(29, await FetchAsync("bob-group"));

        // ListOffsets v1: replica, [topic, [partition, timestamp]] → [topic, [partition, error, timestamp, offset]].
        var offsets = new ResponseReader(await raw.SendAsync(2, 1, w => w.Int32(-1).Int32(1).String("secret").Int32(1).Int32(0).Int64(-1), ct));
        Assert.Equal(1, offsets.Int32());
        Assert.Equal("secret", offsets.String());
        Assert.Equal(1, offsets.Int32());
        Assert.Equal(0, offsets.Int32());
        Assert.Equal(29, offsets.Int16());
    }
}

/// <summary>The client's side of SCRAM-SHA-256, for driving the broker over a raw socket.</summary>
internal static class ScramClient
{
    public static (byte[] ClientFirst, Func<byte[], (byte[] ClientFinal, string ExpectedServerFinal)> Final) Start(string user, string password)
    {
        var bare = $"n={user},r=rawclientnonce";
        return (Encoding.UTF8.GetBytes("n,," + bare), serverFirstBytes =>
        {
            var serverFirst = Encoding.UTF8.GetString(serverFirstBytes);
            var parts = serverFirst.Split(',').ToDictionary(p => p[..1], p => p[2..]);
            var salt = Convert.FromBase64String(parts["s"]);
            var iterations = int.Parse(parts["i"], System.Globalization.CultureInfo.InvariantCulture);
            var withoutProof = $"c=biws,r={parts["r"]}";
            var authMessage = Encoding.UTF8.GetBytes($"{bare},{serverFirst},{withoutProof}");
            var salted = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, System.Security.Cryptography.HashAlgorithmName.SHA256, 32);
            var clientKey = System.Security.Cryptography.HMACSHA256.HashData(salted, "Client Key"u8);
            var proof = System.Security.Cryptography.HMACSHA256.HashData(System.Security.Cryptography.SHA256.HashData(clientKey), authMessage);
            for (var i = 0; i < proof.Length; i++)
            {
                proof[i] ^= clientKey[i];
            }

            var serverKey = System.Security.Cryptography.HMACSHA256.HashData(salted, "Server Key"u8);
            var serverSignature = System.Security.Cryptography.HMACSHA256.HashData(serverKey, authMessage);
            return (Encoding.UTF8.GetBytes($"{withoutProof},p={Convert.ToBase64String(proof)}"), "v=" + Convert.ToBase64String(serverSignature));
        });
    }
}
