using System.Globalization;
using System.Text;

namespace Platform.Dashboard.Services;

/// <summary>The filters of <c>GET /api/alerts/history</c>: state, rule id, host, one label (<c>name=value</c>), a time range and a limit.</summary>
public sealed record AlertHistoryQuery(
    string? State = null,
    string? Rule = null,
    string? Host = null,
    string? Label = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int? Limit = null)
{
    /// <summary>The request path with the set filters escaped, e.g. <c>api/alerts/history?state=firing&amp;label=team%3Ddb</c>.</summary>
    public string ToPath()
    {
        var query = new StringBuilder("api/alerts/history");
        var separator = '?';
        void Add(string name, string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            query.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        Add("state", State);
        Add("rule", Rule);
        Add("host", Host);
        Add("label", Label);
        Add("from", From?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        Add("to", To?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        Add("limit", Limit?.ToString(CultureInfo.InvariantCulture));
        return query.ToString();
    }
}
