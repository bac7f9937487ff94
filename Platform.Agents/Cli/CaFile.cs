using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Agents.Cli;

/// <summary>Checks a CA certificate file (ssl.ca.location) up front, so a wrong path is a clear error rather than a TLS failure later.</summary>
internal static class CaFile
{
    /// <exception cref="AgentConfigurationException">The file is missing or holds no PEM certificate.</exception>
    public static void Check(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new AgentConfigurationException($"{what}: CA file '{path}' does not exist");
        }

        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            if (certificates.Count == 0)
            {
                throw new AgentConfigurationException($"{what}: '{path}' holds no PEM certificate");
            }

            foreach (var c in certificates)
            {
                c.Dispose();
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"{what}: '{path}' is not a readable PEM certificate: {e.Message}", e);
        }
    }
}
