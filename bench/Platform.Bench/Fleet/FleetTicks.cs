using System.Globalization;
using Platform.Telemetry.V1;

namespace Platform.Bench.Fleet;

/// <summary>
/// The metric batches of a simulated fleet, host by host in turn with a second per round, for micro-benchmarks of a
/// consumer's cost per batch: <see cref="Next"/> steps the next host's series and encodes its tick as the agent
/// does (Google.Protobuf over a reused message), and moves <see cref="Clock"/> on at each new round.
/// </summary>
internal sealed class FleetTicks
{
    private readonly HostModel _model;
    private readonly MetricBatch _template;
    private readonly HostState[] _states;
    private readonly string[] _ids;
    private int _next;

    public FleetTicks(int hosts, int seriesPerHost = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hosts, 1);
        _model = HostModel.Create(seriesPerHost);
        _template = _model.NewTemplate();
        _states = new HostState[hosts];
        _ids = new string[hosts];
        for (var i = 0; i < hosts; i++)
        {
            _states[i] = new HostState(_model, i);
            _ids[i] = "host-" + i.ToString(CultureInfo.InvariantCulture);
        }

        TimeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Clock.Now = DateTimeOffset.FromUnixTimeMilliseconds(TimeUnixMs);
    }

    /// <summary>The fleet's time: a second further at each round.</summary>
    public ManualClock Clock { get; } = new();

    public long TimeUnixMs { get; private set; }

    /// <summary>The next batch is the first host's: a new round (a new second) has begun.</summary>
    public bool AtRoundStart => _next == 0;

    public byte[] Next()
    {
        var host = _next;
        if (++_next == _states.Length)
        {
            _next = 0;
            TimeUnixMs += 1000;
            Clock.Now = DateTimeOffset.FromUnixTimeMilliseconds(TimeUnixMs);
        }

        var state = _states[host];
        state.Step(_model);
        state.Sequence++;
        return HostModel.Encode(_template, _ids[host], state, TimeUnixMs, state.Sequence);
    }
}

/// <summary>A clock the benchmarks move by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;
}
