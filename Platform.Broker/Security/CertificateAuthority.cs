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
    /// four files are there already (so clients keep trusting the same CA across restarts). When the existing broker
    /// certificate does not name every one of <paramref name="hostNames"/>, a new broker certificate is issued by the same
    /// CA, so clients need nothing new.
    /// </summary>
    public static CertificateAuthority CreateOrLoad(string directory, IEnumerable<string> hostNames)
    {
        ArgumentNullException.ThrowIfNull(hostNames);
        var ca = new CertificateAuthority(Path.Combine(directory, "ca.pem"), Path.Combine(directory, "broker.pem"), Path.Combine(directory, "broker.key"));
        var caKeyPath = Path.Combine(directory, "ca.key");
        var names = hostNames.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim().Trim('[', ']'))
            .Append("localhost").Append("127.0.0.1").Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (File.Exists(ca.CaCertificatePath) && File.Exists(caKeyPath))
        {
            if (File.Exists(ca.CertificatePath) && File.Exists(ca.KeyPath) && Covers(ca, names))
            {
                return ca;
            }

            using var existing = X509Certificate2.CreateFromPemFile(ca.CaCertificatePath, caKeyPath);
            IssueBrokerCertificate(ca, existing, names);
            return ca;
        }

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Platform broker CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caCertificate = caRequest.CreateSelfSigned(now, now.AddYears(10));

        Directory.CreateDirectory(directory);
        SecureFile.WriteAtomically(caKeyPath, System.Text.Encoding.ASCII.GetBytes(caKey.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(ca.CaCertificatePath, caCertificate.ExportCertificatePem() + "\n");
        IssueBrokerCertificate(ca, caCertificate, names);
        return ca;
    }

    /// <summary>The DNS names and IP addresses the certificate at <paramref name="path"/> is valid for.</summary>
    public static IReadOnlyList<string> SubjectAlternativeNames(string path)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(path));
        var names = new List<string>();
        foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            names.AddRange(extension.EnumerateDnsNames());
            names.AddRange(extension.EnumerateIPAddresses().Select(a => a.ToString()));
        }

        return names;
    }

    // The broker certificate names every one of names, and its key is the one next to it.
    private static bool Covers(CertificateAuthority ca, List<string> names)
    {
        try
        {
            using (X509Certificate2.CreateFromPemFile(ca.CertificatePath, ca.KeyPath))
            {
            }

            var present = SubjectAlternativeNames(ca.CertificatePath).Select(Normalise).ToHashSet(StringComparer.OrdinalIgnoreCase);
            return names.All(n => present.Contains(Normalise(n)));
        }
        catch (CryptographicException)
        {
            return false;
        }

        static string Normalise(string name) => IPAddress.TryParse(name, out var address) ? address.ToString() : name;
    }

    private static void IssueBrokerCertificate(CertificateAuthority ca, X509Certificate2 caCertificate, List<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
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
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = now.AddYears(5) < caCertificate.NotAfter ? now.AddYears(5) : new DateTimeOffset(caCertificate.NotAfter);
        using var certificate = request.Create(caCertificate, now, notAfter, serial);

        SecureFile.WriteAtomically(ca.KeyPath, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(ca.CertificatePath, certificate.ExportCertificatePem() + "\n");
    }
}
