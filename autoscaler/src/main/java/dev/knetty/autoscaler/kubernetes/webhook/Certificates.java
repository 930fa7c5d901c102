package dev.knetty.autoscaler.kubernetes.webhook;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed CA and the webhook's serving certificate, with ECDSA P-256 keys. BouncyCastle
 * builds the X.509 structures (the JDK has no public API for that); keys, signatures and PEM use
 * the JDK.
 */
final class Certificates {

  private Certificates() {}

  private static final String SIGNATURE = "SHA256withECDSA";

  /** Certificates start this much in the past, for clocks that lag ours. */
  private static final Duration BACKDATE = Duration.ofHours(1);

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

  /** A CA or serving certificate with its key. */
  record Issued(X509Certificate certificate, PrivateKey key) {}

  static Issued newCa(String commonName, Instant now, Duration validity)
      throws GeneralSecurityException {
    KeyPair keys = newKeyPair();
    X500Name subject = new X500Name("CN=" + commonName);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder b =
        builder(subject, subject, keys.getPublic(), now.minus(BACKDATE), now.plus(validity));
    try {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(
              Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(
              Extension.subjectKeyIdentifier,
              false,
              ext.createSubjectKeyIdentifier(keys.getPublic()));
    } catch (CertIOException e) {
      throw new GeneralSecurityException(e);
    }
    return new Issued(sign(b, keys.getPrivate()), keys.getPrivate());
  }

  /**
   * A serving certificate for {@code names} (DNS names or IP literals), signed by {@code ca}, valid
   * for {@code validity} but never beyond the CA.
   */
  static Issued newServingCertificate(Issued ca, List<String> names, Instant now, Duration validity)
      throws GeneralSecurityException {
    return newServingCertificate(ca, newKeyPair(), names, now, validity);
  }

  /** As above, for a given key pair (tests use RSA keys, as other issuers do). */
  static Issued newServingCertificate(
      Issued ca, KeyPair keys, List<String> names, Instant now, Duration validity)
      throws GeneralSecurityException {
    Instant notAfter = now.plus(validity);
    if (notAfter.isAfter(ca.certificate().getNotAfter().toInstant())) {
      notAfter = ca.certificate().getNotAfter().toInstant();
    }
    List<GeneralName> sans = new ArrayList<>();
    for (String name : names) {
      sans.add(
          isIpLiteral(name)
              ? new GeneralName(GeneralName.iPAddress, name)
              : new GeneralName(GeneralName.dNSName, name));
    }
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder b =
        builder(
            X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
            new X500Name("CN=" + names.get(0)),
            keys.getPublic(),
            now.minus(BACKDATE),
            notAfter);
    try {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(
              Extension.extendedKeyUsage,
              false,
              new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
          .addExtension(
              Extension.subjectAlternativeName,
              false,
              new GeneralNames(sans.toArray(GeneralName[]::new)))
          .addExtension(
              Extension.authorityKeyIdentifier,
              false,
              ext.createAuthorityKeyIdentifier(ca.certificate()));
    } catch (CertIOException e) {
      throw new GeneralSecurityException(e);
    }
    return new Issued(sign(b, ca.key()), keys.getPrivate());
  }

  /**
   * True when {@code certificate} is still usable at {@code now}: not before its validity, and more
   * than a third of its lifetime left (renewal starts in the last third, as cert-manager's default
   * does).
   */
  static boolean fresh(X509Certificate certificate, Instant now) {
    Instant from = certificate.getNotBefore().toInstant();
    Instant to = certificate.getNotAfter().toInstant();
    Duration third = Duration.between(from, to).dividedBy(3);
    return !now.isBefore(from) && now.isBefore(to.minus(third));
  }

  /** True when the certificate names at least all of {@code names}. */
  static boolean covers(X509Certificate certificate, List<String> names)
      throws CertificateException {
    Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
    Set<String> present = new HashSet<>();
    if (sans != null) {
      for (List<?> san : sans) {
        present.add(String.valueOf(san.get(1)));
      }
    }
    for (String name : names) {
      if (!present.contains(isIpLiteral(name) ? normalizeIp(name) : name)) {
        return false;
      }
    }
    return true;
  }

  /** True when {@code key} is the private half of {@code certificate}'s public key. */
  static boolean matches(PrivateKey key, X509Certificate certificate) {
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(SIGNATURE);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(SIGNATURE);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** True when {@code certificate} was signed by {@code issuer}. */
  static boolean signedBy(X509Certificate certificate, X509Certificate issuer) {
    try {
      certificate.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static String pem(X509Certificate certificate) throws CertificateException {
    return pem("CERTIFICATE", certificate.getEncoded());
  }

  /** PKCS#8, which every TLS stack reads. */
  static String pem(PrivateKey key) {
    return pem("PRIVATE KEY", key.getEncoded());
  }

  /** The certificates in a PEM text, in order. */
  static List<X509Certificate> parseCertificates(String pem) throws CertificateException {
    List<X509Certificate> out = new ArrayList<>();
    for (var c :
        CertificateFactory.getInstance("X.509")
            .generateCertificates(
                new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
      out.add((X509Certificate) c);
    }
    return out;
  }

  /** An EC key in PKCS#8 PEM, as {@link #pem(PrivateKey)} writes it. */
  static PrivateKey parseEcPrivateKey(String pem) throws GeneralSecurityException {
    String body =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance("EC")
          .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("not a PKCS#8 PEM key", e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return g.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, PublicKey key, Instant notBefore, Instant notAfter) {
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(127, new SecureRandom()).add(BigInteger.ONE),
        Date.from(notBefore),
        Date.from(notAfter),
        subject,
        key);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(issuerKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static boolean isIpLiteral(String name) {
    return IP_LITERAL.matcher(name).matches();
  }

  /** The form {@link X509Certificate#getSubjectAlternativeNames} reports an IP address in. */
  private static String normalizeIp(String ip) {
    try {
      return InetAddress.getByName(ip).getHostAddress();
    } catch (UnknownHostException e) {
      return ip;
    }
  }
}
