using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Telemetry.Alerts;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Platform.Alerting.Rules;

/// <summary>
/// Rules kept in a file (in git): YAML or JSON, either a list of rules or <c>{ rules: [...] }</c>, with the same
/// fields as the <c>alert-rules</c> JSON. In YAML, plain scalars that read as numbers or booleans are numbers or
/// booleans; quote a value to keep it a string.
/// </summary>
internal static class RuleFile
{
    public static IReadOnlyList<AlertRule> Load(string path)
    {
        var text = File.ReadAllText(path);
        var json = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        try
        {
            return json ? ParseJson(text) : ParseYaml(text);
        }
        catch (Exception e) when (e is JsonException or YamlException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static IReadOnlyList<AlertRule> ParseJson(string text) => FromNode(JsonNode.Parse(text, documentOptions: new JsonDocumentOptions
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    }));

    public static IReadOnlyList<AlertRule> ParseYaml(string text)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
        {
            stream.Load(reader);
        }

        if (stream.Documents.Count == 0)
        {
            return [];
        }

        return FromNode(ToJson(stream.Documents[0].RootNode));
    }

    private static List<AlertRule> FromNode(JsonNode? node)
    {
        if (node is JsonObject obj && obj["rules"] is JsonArray inner)
        {
            node = inner;
        }

        if (node is not JsonArray array)
        {
            throw new InvalidDataException("expected a list of rules or an object with a 'rules' list");
        }

        var rules = new List<AlertRule>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            try
            {
                rules.Add(array[i].Deserialize(AlertCodec.Json.AlertRule) ?? throw new InvalidDataException("null rule"));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"rule #{i + 1}: {e.Message}", e);
            }
        }

        var duplicate = rules.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"rule id '{duplicate.Key}' appears more than once");
        }

        return rules;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? string.Empty, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"unsupported YAML node at {node.Start}"),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value;
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(value);
        }

        if (value is null or "~" or "null" or "")
        {
            return null;
        }

        if (value is "true" or "false")
        {
            return JsonValue.Create(value == "true");
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(value);
    }

    /// <summary>True when both define the same rule (ignoring who changed it when).</summary>
    public static bool SameDefinition(AlertRule a, AlertRule b) =>
        AlertCodec.Encode(a with { UpdatedAt = null, UpdatedBy = null }).AsSpan()
            .SequenceEqual(AlertCodec.Encode(b with { UpdatedAt = null, UpdatedBy = null }));
}
