using Platform.Broker.Security;

namespace Platform.Broker.Protocol;

internal sealed partial class RequestDispatcher
{
    /// <summary>
    /// SaslHandshake (SaslHandshakeRequest/Response.json) v0–1: mechanism → error, mechanisms [string]. v1: the tokens
    /// follow in SaslAuthenticate requests; v0: they follow as bare length-prefixed frames. UNSUPPORTED_SASL_MECHANISM for
    /// a mechanism not offered; ILLEGAL_SASL_STATE when security is off, after authentication, or mid-exchange.
    /// </summary>
    private static ResponseBuffer SaslHandshake(RequestContext ctx)
    {
        var reader = ctx.BodyReader();
        var mechanism = reader.ReadString();
        EndOfBody(ref reader, ctx);
        var session = ctx.Connection.Session;
        var security = session.Security;
        var error = ErrorCode.None;
        if (security is null || session.IsAuthenticated || session.Mechanism is not null)
        {
            error = ErrorCode.IllegalSaslState;
        }
        else if (!security.Mechanisms.Contains(mechanism))
        {
            error = ErrorCode.UnsupportedSaslMechanism;
            // The metric label is fixed: a client-chosen mechanism name must not create new series.
            security.RateLimiter.RecordFailure(ctx.Connection.RemoteHost);
            security.Failed("unsupported", null, ctx.Connection.RemoteHost, $"unsupported SASL mechanism '{mechanism}'");
            session.Failed = true;
        }
        else
        {
            session.Mechanism = mechanism;
            session.ExpectsRawToken = ctx.Version == 0;
        }

        var w = ctx.NewResponse(64);
        w.WriteInt16(error);
        var mechanisms = security?.Mechanisms ?? [];
        w.WriteInt32(mechanisms.Count);
        foreach (var m in mechanisms)
        {
            w.WriteString(m);
        }

        return w;
    }

    /// <summary>
    /// SaslAuthenticate (SaslAuthenticateRequest/Response.json) v0–2: auth_bytes → error, error_message, auth_bytes,
    /// session_lifetime_ms (v1+; 0 = no re-authentication). v2 is flexible: compact fields and tagged sections, response
    /// header v1. A failure answers SASL_AUTHENTICATION_FAILED (58) with the reason, after <see cref="SecurityOptions.FailureDelay"/>,
    /// and the connection accepts nothing more.
    /// </summary>
    private static async ValueTask<ResponseBuffer?> SaslAuthenticateAsync(RequestContext ctx, CancellationToken cancellationToken)
    {
        var version = ctx.Version;
        var reader = ctx.BodyReader();
        int offset, length;
        if (version >= 2)
        {
            var n = reader.ReadUnsignedVarint();
            if (n == 0 || n - 1 > (uint)reader.Remaining)
            {
                KafkaProtocolException.Throw($"SaslAuthenticate v2: bad auth_bytes length {(long)n - 1}");
            }

            offset = reader.Position;
            length = (int)(n - 1);
            reader = new KafkaReader(ctx.Frame.AsSpan(0, ctx.Length), offset + length);
            reader.SkipTaggedFields();
        }
        else
        {
            (offset, length) = reader.ReadBytesRange();
            if (offset < 0)
            {
                KafkaProtocolException.Throw("SaslAuthenticate: auth_bytes is null");
            }
        }

        EndOfBody(ref reader, ctx);
        var session = ctx.Connection.Session;
        SaslStep step;
        if (session.Security is null || session.IsAuthenticated || session.Mechanism is null || session.ExpectsRawToken)
        {
            step = SaslStep.Fail("SaslAuthenticate is only valid after a SaslHandshake v1 and before authentication completes");
            var illegal = ctx.NewResponse(64);
            WriteAuthenticateResponse(illegal, version, ErrorCode.IllegalSaslState, step.Error, []);
            return illegal;
        }

        step = Authenticate(ctx, session, ctx.Frame.AsSpan(offset, length));
        if (step.Failed)
        {
            await Task.Delay(session.Security.Options.FailureDelay, cancellationToken);
        }

        var w = ctx.NewResponse(128 + step.Response.Length);
        WriteAuthenticateResponse(w, version, step.Failed ? ErrorCode.SaslAuthenticationFailed : ErrorCode.None, step.Error, step.Response);
        return w;
    }

    /// <summary>
    /// A bare SASL token after SaslHandshake v0 (no request header): answered with a bare token frame. A failure closes the
    /// connection, as Kafka does (there is no field to carry an error in this framing).
    /// </summary>
    private static async ValueTask<ResponseBuffer?> SaslRawTokenAsync(RequestContext ctx, CancellationToken cancellationToken)
    {
        var session = ctx.Connection.Session;
        var step = Authenticate(ctx, session, ctx.Frame.AsSpan(0, ctx.Length));
        if (step.Failed)
        {
            await Task.Delay(session.Security!.Options.FailureDelay, cancellationToken);
            KafkaProtocolException.Throw($"SASL authentication failed: {step.Error}");
        }

        var w = ResponseBuffer.CreateRaw(16 + step.Response.Length);
        w.WriteRaw(step.Response);
        return w;
    }

    /// <summary>
    /// Runs one client token through the chosen mechanism (synchronously: the session's state moves on in request order).
    /// The token that is verified (PLAIN's, SCRAM's client-final) first takes one of the source address's attempt slots,
    /// without an await before its outcome: a source holding many half-done exchanges on many connections still gets no
    /// more than the limit of passwords or proofs verified, while honest clients authenticating in parallel hold a slot
    /// only for the verification itself. SCRAM's client-first is refused early once the slots are used up.
    /// </summary>
    private static SaslStep Authenticate(RequestContext ctx, ConnectionSession session, ReadOnlySpan<byte> token)
    {
        var security = session.Security!;
        var mechanism = session.Mechanism!;
        var remote = ctx.Connection.RemoteHost;
        var verifying = mechanism == PlainAuthenticator.Mechanism || session.Scram is not null;
        long slot = 0;
        SaslStep step;
        if (verifying ? !security.RateLimiter.TryReserve(remote, out slot) : !security.RateLimiter.IsAllowed(remote))
        {
            security.RateLimited(remote);
            step = SaslStep.Fail($"Too many failed authentications from {remote}: try again later");
            session.Failed = true;
            session.Mechanism = null;
            session.Scram = null;
            return step;
        }

        if (mechanism == PlainAuthenticator.Mechanism)
        {
            step = PlainAuthenticator.Authenticate(token, security.Credentials.Find, security.Credentials.UnknownUser);
        }
        else
        {
            session.Scram ??= new ScramServerExchange(security.Credentials.Find, security.Credentials.UnknownUser);
            step = session.Scram.Step(token);
        }

        if (step.Failed)
        {
            // A verified token's slot stays taken as the source's failure until it leaves the window.
            if (!verifying)
            {
                security.RateLimiter.RecordFailure(remote);
            }

            security.Failed(mechanism, step.User, remote, step.Error!);
            session.Failed = true;
            session.Mechanism = null;
            session.Scram = null;
            session.ExpectsRawToken = false;
        }
        else if (step.Complete)
        {
            security.RateLimiter.Release(remote, slot);
            session.Authenticated(step.User!);
            security.Succeeded(mechanism, step.User!, remote);
        }

        return step;
    }

    private static void WriteAuthenticateResponse(ResponseBuffer w, short version, ErrorCode error, string? message, ReadOnlySpan<byte> token)
    {
        if (version >= 2)
        {
            w.WriteUnsignedVarint(0); // response header v1: tagged fields
            w.WriteInt16(error);
            if (message is null)
            {
                w.WriteUnsignedVarint(0);
            }
            else
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(message);
                w.WriteUnsignedVarint((uint)bytes.Length + 1);
                w.WriteRaw(bytes);
            }

            w.WriteUnsignedVarint((uint)token.Length + 1);
            w.WriteRaw(token);
            w.WriteInt64(0);
            w.WriteUnsignedVarint(0);
            return;
        }

        w.WriteInt16(error);
        w.WriteString(message);
        w.WriteBytes(token);
        if (version >= 1)
        {
            w.WriteInt64(0);
        }
    }

    /// <summary>
    /// True when the connection's principal may do <paramref name="operation"/> on the resource; otherwise counts and logs
    /// the denial. Allocation-free after the first check of a resource on a connection (the decision is cached).
    /// </summary>
    private static bool Authorize(RequestContext ctx, AclResourceType type, string name, AclOperation operation)
    {
        var session = ctx.Connection.Session;
        if (session.IsAllowed(type, name, operation))
        {
            return true;
        }

        session.Security!.Denied(session, ctx.Connection.RemoteHost, ctx.Header.ApiKey, type, name, operation);
        return false;
    }

    /// <summary>Creating a topic needs Create on the topic or on the cluster.</summary>
    private static bool AuthorizeCreate(RequestContext ctx, string topic) =>
        ctx.Connection.Session.IsAllowed(AclResourceType.Cluster, ConnectionSession.ClusterName, AclOperation.Create)
        || Authorize(ctx, AclResourceType.Topic, topic, AclOperation.Create);
}
