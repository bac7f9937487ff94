using Platform.Alerting.Security;

namespace Platform.Dashboard.Security;

/// <summary>A user as the API shows it: never the hash.</summary>
public sealed record UserView(string Name, string Role, DateTimeOffset CreatedAt);

/// <summary>Creates a user; no password = one is generated and returned once.</summary>
public sealed record NewUserRequest(string Name, string Role, string? Password);

/// <summary>The answer to creating a user or resetting a password: the generated password, when one was generated.</summary>
public sealed record UserPasswordResult(string Name, string? GeneratedPassword);

public sealed record RoleRequest(string Role);

public sealed record PasswordRequest(string? Password);

/// <summary>The users REST API under <c>/api/users</c>, for admins only (mapped when security is on).</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var users = endpoints.MapGroup("/api/users").RequireAuthorization(PlatformPolicies.Administer).WithTags("Users");
        users.MapGet("/", (UserStore store) => store.List().Select(u => new UserView(u.Name, u.Role, u.CreatedAt)).ToList())
            .WithSummary("Every user and role");
        users.MapPost("/", (NewUserRequest body, UserStore store) => Change(() =>
            {
                var password = body.Password ?? UserStore.GeneratePassword();
                store.Add(body.Name, body.Role, password);
                return Results.Json(new UserPasswordResult(body.Name, body.Password is null ? password : null), statusCode: StatusCodes.Status201Created);
            }))
            .WithSummary("Add a user (no password: one is generated and answered once)");
        users.MapPut("/{name}/role", (string name, RoleRequest body, UserStore store) => Change(() =>
            {
                store.SetRole(name, body.Role);
                return Results.NoContent();
            }))
            .WithSummary("Change a user's role (never the last admin's)");
        users.MapPut("/{name}/password", (string name, PasswordRequest body, UserStore store) => Change(() =>
            {
                var password = body.Password ?? UserStore.GeneratePassword();
                store.SetPassword(name, password);
                return Results.Ok(new UserPasswordResult(name, body.Password is null ? password : null));
            }))
            .WithSummary("Set or reset a password (no password: one is generated and answered once); the user's sessions end");
        users.MapDelete("/{name}", (string name, UserStore store) => Change(() =>
            {
                store.Remove(name);
                return Results.NoContent();
            }))
            .WithSummary("Delete a user (never the last admin)");
        return endpoints;
    }

    // A refused change answers with its reason: 400 bad input, 404 no such user, 409 the user exists or is the last admin.
    private static IResult Change(Func<IResult> change)
    {
        try
        {
            return change();
        }
        catch (ArgumentException e)
        {
            return Results.Problem(title: "Invalid", detail: e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (KeyNotFoundException e)
        {
            return Results.Problem(title: "No such user", detail: e.Message, statusCode: StatusCodes.Status404NotFound);
        }
        catch (InvalidOperationException e)
        {
            return Results.Problem(title: "Refused", detail: e.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }
}
