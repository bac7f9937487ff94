namespace Platform.Alerting.Security;

/// <summary>
/// One user of the dashboard and the REST API as the users file keeps it: the password only as an ASP.NET Core
/// <c>PasswordHasher</c> hash (PBKDF2, salted), and a stamp that changes with the password or the role so that
/// sessions issued before the change stop working.
/// </summary>
public sealed record PlatformUser(string Name, string Role, string PasswordHash, string Stamp, DateTimeOffset CreatedAt);
