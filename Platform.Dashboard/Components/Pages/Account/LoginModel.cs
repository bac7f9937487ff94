using System.ComponentModel.DataAnnotations;

namespace Platform.Dashboard.Components.Pages.Account;

/// <summary>What the login form posts.</summary>
public sealed class LoginModel
{
    [Required(ErrorMessage = "Enter your user name.")]
    [StringLength(64, ErrorMessage = "A user name has at most 64 characters.")]
    public string UserName { get; set; } = string.Empty;

    [Required(ErrorMessage = "Enter your password.")]
    [StringLength(1024, ErrorMessage = "That password is too long.")]
    public string Password { get; set; } = string.Empty;
}
