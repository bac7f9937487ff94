using System.Text;

namespace Platform.Agents.Cli;

/// <summary>
/// The config file: one <c>key = value</c> per line, <c>#</c> (at the start or after whitespace) starts a comment, blank lines ignored;
/// list keys (label, log, scrape, kafka) repeat. The keys are <see cref="Settings.Known"/>.
/// </summary>
internal static class ConfigFile
{
    public const string DefaultPath = "/etc/platform-agent/agent.conf";

    /// <exception cref="AgentConfigurationException">The file cannot be read, or a line is malformed or has an unknown key.</exception>
    public static List<Setting> Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"config file '{path}' cannot be read: {e.Message}", e);
        }

        var settings = new List<Setting>();
        var problems = new List<string>();
        var name = Path.GetFileName(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = StripComment(lines[i]).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var source = $"{name}:{i + 1}";
            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                problems.Add($"{source}: expected 'key = value', got '{line}'");
                continue;
            }

            var key = line[..eq].Trim();
            if (!Settings.IsKnown(key))
            {
                problems.Add($"{source}: unknown key '{key}'");
                continue;
            }

            settings.Add(new Setting(key, line[(eq + 1)..].Trim(), source));
        }

        if (problems.Count > 0)
        {
            throw new AgentConfigurationException($"config file '{path}' is invalid:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems));
        }

        return settings;
    }

    /// <summary>A '#' at the start of a line or after whitespace starts a comment (so values may hold '#' inside a word).</summary>
    internal static string StripComment(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    /// <summary>The file text for the given settings (what <c>install</c> writes).</summary>
    public static string Format(IEnumerable<Setting> settings)
    {
        var text = new StringBuilder();
        text.Append("# platform-agent configuration: key = value, one per line; label, log, scrape and kafka may repeat.\n");
        text.Append("# Written by 'platform-agent install'; the keys are listed in the README and by 'platform-agent --help'.\n");
        foreach (var s in settings)
        {
            if (s.Value.Contains('\n', StringComparison.Ordinal))
            {
                throw new AgentConfigurationException($"{s.Source}: {s.Key}: a value cannot span lines");
            }

            text.Append(s.Key).Append(" = ").Append(s.Value).Append('\n');
        }

        return text.ToString();
    }
}
