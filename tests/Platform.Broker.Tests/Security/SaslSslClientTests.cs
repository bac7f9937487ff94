using System.Collections.Concurrent;
using Confluent.Kafka;
using Platform.Broker.Tests.Integration;
using Platform.TestKit;

namespace Platform.Broker.Tests.Security;

/// <summary>Confluent.Kafka (librdkafka) over SASL_SSL against the broker, trusting the test's own CA.</summary>
[Collection(SecureBrokerCollectionDefinition.Name)]
public class SaslSslClientTests(SecureBrokerFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(SaslMechanism.ScramSha256)]
    [InlineData(SaslMechanism.Plain)]
    public async Task SaslSsl_RightPassword_ProducesAndConsumes(SaslMechanism mechanism)
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = BrokerFixture.UniqueTopic("shared-rt");
        fixture.Broker.Log.CreateTopic(topic, 1);
        using (var producer = new ProducerBuilder<Null, string>(fixture.Producer("admin", SecureBrokerFixture.AdminPassword, mechanism)).Build())
        {
            for (var i = 0; i < 5; i++)
            {
                var result = await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"m{i}" }, ct);
                Assert.Equal(PersistenceStatus.Persisted, result.Status);
            }
        }

        using var consumer = new ConsumerBuilder<Ignore, string>(fixture.Consumer("reader", SecureBrokerFixture.ReaderPassword, "reader-" + Guid.NewGuid().ToString("N"))).Build();
        consumer.Subscribe(topic);
        var seen = new List<string>();
        await Poll.UntilAsync(() =>
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r?.Message is not null)
            {
                seen.Add(r.Message.Value);
            }

            return seen.Count == 5;
        }, Deadline, "five messages read back by the reader", ct);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], seen);
        consumer.Close();
    }

    [Fact]
    public async Task SaslSsl_WrongPassword_FailsWithAnAuthenticationError()
    {
        var ct = TestContext.Current.CancellationToken;
        var errors = new ConcurrentQueue<Error>();
        var failuresBefore = fixture.Broker.Metrics.SaslFailures.WithLabels("SCRAM-SHA-256").Value;
        using var producer = new ProducerBuilder<Null, string>(fixture.Producer("agent", "wrong-password"))
            .SetErrorHandler((_, e) => errors.Enqueue(e))
            .Build();
        var send = producer.ProduceAsync("metrics", new Message<Null, string> { Value = "x" }, ct);

        await Poll.UntilAsync(() => errors.Any(e => e.Code == Confluent.Kafka.ErrorCode.Local_Authentication), Deadline, "an authentication error", ct);
        Assert.Contains(errors, e => e.Reason.Contains("invalid credentials", StringComparison.OrdinalIgnoreCase));
        Assert.True(fixture.Broker.Metrics.SaslFailures.WithLabels("SCRAM-SHA-256").Value > failuresBefore);
        Assert.False(send.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task SaslSsl_AgentPrincipal_ReadingMetrics_GetsAnAuthorizationError()
    {
        var ct = TestContext.Current.CancellationToken;
        using (var producer = new ProducerBuilder<Null, string>(fixture.Producer("agent", SecureBrokerFixture.AgentPassword)).Build())
        {
            var written = await producer.ProduceAsync("metrics", new Message<Null, string> { Value = "sample" }, ct);
            Assert.Equal(PersistenceStatus.Persisted, written.Status);
        }

        var errors = new ConcurrentQueue<Confluent.Kafka.ErrorCode>();
        using var consumer = new ConsumerBuilder<Ignore, string>(fixture.Consumer("agent", SecureBrokerFixture.AgentPassword, "agent-reads"))
            .SetErrorHandler((_, e) => errors.Enqueue(e.Code))
            .Build();
        consumer.Subscribe("metrics");
        await Poll.UntilAsync(() =>
        {
            try
            {
                var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
                Assert.Null(r?.Message);
            }
            catch (ConsumeException ex)
            {
                errors.Enqueue(ex.Error.Code);
            }

            return errors.Any(c => c is Confluent.Kafka.ErrorCode.GroupAuthorizationFailed or Confluent.Kafka.ErrorCode.TopicAuthorizationFailed);
        }, Deadline, "an authorisation error for the agent", ct);

        // Assigned directly (no group), the fetch itself is refused.
        using var direct = new ConsumerBuilder<Ignore, string>(fixture.Consumer("agent", SecureBrokerFixture.AgentPassword, "agent-direct")).Build();
        direct.Assign(new TopicPartitionOffset("metrics", 0, Offset.Beginning));
        ConsumeException? refused = null;
        await Poll.UntilAsync(() =>
        {
            try
            {
                Assert.Null(direct.Consume(TimeSpan.FromMilliseconds(200))?.Message);
            }
            catch (ConsumeException ex)
            {
                refused = ex;
            }

            return refused is not null;
        }, Deadline, "a refused fetch", ct);
        Assert.Contains(refused!.Error.Code, new[] { Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, Confluent.Kafka.ErrorCode.GroupAuthorizationFailed });
    }

    [Fact]
    public async Task SaslSsl_PrincipalWithoutWrite_CannotProduce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var producer = new ProducerBuilder<Null, string>(fixture.Producer("reader", SecureBrokerFixture.ReaderPassword)).Build();
        var topic = BrokerFixture.UniqueTopic("shared-readonly");
        fixture.Broker.Log.CreateTopic(topic, 1);

        var ex = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync(topic, new Message<Null, string> { Value = "nope" }, ct));

        Assert.Equal(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, ex.Error.Code);
        Assert.Equal(0, fixture.Broker.Log.Topics.First(t => t.Name == topic).Partitions[0].LogEndOffset);
    }

    [Fact]
    public void SaslSsl_MetadataForAllTopics_ListsOnlyWhatThePrincipalMayDescribe()
    {
        var shared = BrokerFixture.UniqueTopic("shared-listed");
        fixture.Broker.Log.CreateTopic(shared, 1);
        var config = new AdminClientConfig(fixture.Producer("reader", SecureBrokerFixture.ReaderPassword));
        using var admin = new AdminClientBuilder(config).Build();

        var topics = admin.GetMetadata(TimeSpan.FromSeconds(20)).Topics.Select(t => t.Topic).ToList();

        Assert.Contains(shared, topics);
        Assert.DoesNotContain("metrics", topics);
        Assert.All(topics, t => Assert.StartsWith("shared", t, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SaslSsl_PlaintextBytes_FailTheTlsHandshake_AndAreCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = fixture.Broker.Metrics.TlsFailures.Value;
        await using var raw = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        await raw.SendRawAsync(new RequestWriter().Int16(18).Int16(0).Int32(1).String("plain").ToFrame(), ct);

        Assert.Null(await raw.ReadFrameAsync(ct));
        await Poll.UntilAsync(() => fixture.Broker.Metrics.TlsFailures.Value > before, Deadline, "a counted TLS failure", ct);
    }

    [Fact]
    public async Task SaslSsl_Metrics_CountAuthenticationsAndDenials()
    {
        var ct = TestContext.Current.CancellationToken;
        using var producer = new ProducerBuilder<Null, string>(fixture.Producer("agent", SecureBrokerFixture.AgentPassword)).Build();
        await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("alerts-not-allowed", new Message<Null, string> { Value = "x" }, ct));

        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(fixture.Broker.MetricsUrl + "/metrics"), ct);
        Assert.Contains("broker_sasl_authentications_total{mechanism=\"SCRAM-SHA-256\"}", text, StringComparison.Ordinal);
        Assert.Contains("broker_authorization_denials_total{api=\"Metadata\"}", text, StringComparison.Ordinal);
        Assert.DoesNotContain(SecureBrokerFixture.AgentPassword, text, StringComparison.Ordinal);
    }
}
