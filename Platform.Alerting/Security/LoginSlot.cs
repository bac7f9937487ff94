namespace Platform.Alerting.Security;

/// <summary>An attempt's slot at the <see cref="LoginThrottle"/>: which key it counts against and when it was taken.</summary>
public readonly record struct LoginSlot(string? Key, DateTimeOffset TakenAt);
