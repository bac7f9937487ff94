using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Broker.Security;

/// <summary>
/// A small private CA for a self-contained installation: a self-signed CA certificate and a broker certificate it
/// signs for the listener's host name and addresses, as PEM files in one directory (<c>ca.pem</c>, <c>ca.key</c>,
/// <c>broker.pem</c>, <c>broker.key</c>; keys mode 0600). Clients trust <c>ca.pem</c> (<c>ssl.ca.location</c>).
/// </summary>
public sealed record CertificateAuthority(string CaCertificatePath, string CertificatePath, string KeyPath)
{
    /// <summary>
    /// Creates the CA and the broker certificate in <paramref name="directory"/>, or returns the existing ones when all
    /// four files are there already (so clients keep trusting the same CA across restarts).
    /// </summary>
    public static CertificateAuthority CreateOrLoad(string directory, IEnumerable<string> hostNames)
    {
        ArgumentNullException.ThrowIfNull(hostNames);
        var ca = new CertificateAuthority(Path.Combine(directory, "ca.pem"), Path.Combine(directory, "broker.pem"), Path.Combine(directory, "broker.key"));
        var caKeyPath = Path.Combine(directory, "ca.key");
        if (File.Exists(ca.CaCertificatePath) && File.Exists(ca.CertificatePath) && File.Exists(ca.KeyPath) && File.Exists(caKeyPath))
        {
            return ca;
        }

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Platform broker CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caCertificate = caRequest.CreateSelfSigned(now, now.AddYears(10));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var names = hostNames.Where(h => !string.IsNullOrWhiteSpace(h)).Append("localhost").Append("127.0.0.1").Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(caCertificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(caCertificate, now, now.AddYears(5), serial);

        Directory.CreateDirectory(directory);
        SecureFile.WriteAtomically(caKeyPath, System.Text.Encoding.ASCII.GetBytes(caKey.ExportPkcs8PrivateKeyPem()));
        SecureFile.WriteAtomically(ca.KeyPath, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(ca.CertificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(ca.CaCertificatePath, caCertificate.ExportCertificatePem() + "\n");
        return ca;
    }
}
