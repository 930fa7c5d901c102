package dev.knetty.autoscaler.kubernetes.webhook;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generated certificates kept in a Secret that every autoscaler replica shares, so that both
 * replicas behind the webhook Service present a certificate of the same CA (Knative's {@code
 * webhook-certs} approach). The Helm chart creates the Secret empty; the first replica to start
 * fills it, with an optimistic-locking update so that two replicas starting at once agree on one
 * winner.
 *
 * <p>The CA is long-lived so that the {@code caBundle} rarely changes; the serving certificate is
 * re-issued with the same CA in the last third of its lifetime, which never disturbs callers.
 */
final class SecretCertificateSource implements CertificateSource {

  private static final Logger LOG = LoggerFactory.getLogger(SecretCertificateSource.class);

  static final String CA_CERT = "ca.crt";
  static final String CA_KEY = "ca.key";
  static final String TLS_CERT = "tls.crt";
  static final String TLS_KEY = "tls.key";

  private final KubernetesClient client;
  private final WebhookConfig.Tls tls;
  private final Clock clock;

  SecretCertificateSource(KubernetesClient client, WebhookConfig.Tls tls, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.tls = Objects.requireNonNull(tls, "tls");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The names the serving certificate must carry. */
  List<String> names() {
    List<String> names = new ArrayList<>(tls.serviceDnsNames());
    names.addAll(tls.extraSubjectAltNames());
    return names;
  }

  @Override
  public TlsMaterial load() throws IOException, GeneralSecurityException {
    try {
      return loadOrIssue();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw new IOException(where() + ": " + e.getMessage(), e);
      }
      // Another replica stored its certificate first: use that one.
      LOG.info("{} was updated concurrently; using the stored certificate", where());
      try {
        return loadOrIssue();
      } catch (KubernetesClientException again) {
        throw new IOException(where() + ": " + again.getMessage(), again);
      }
    }
  }

  private TlsMaterial loadOrIssue() throws GeneralSecurityException {
    Secret secret =
        client.secrets().inNamespace(tls.serviceNamespace()).withName(tls.secretName()).get();
    if (secret == null) {
      throw new GeneralSecurityException(
          where() + ": not found (expected: the Secret the Helm chart creates, may be empty)");
    }
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    Instant now = clock.instant();
    List<String> names = names();

    Certificates.Issued ca = usableCa(data, now);
    boolean newCa = ca == null;
    if (newCa) {
      ca =
          Certificates.newCa(
              tls.serviceName() + "." + tls.serviceNamespace() + "-ca", now, tls.caValidity());
    } else {
      TlsMaterial stored = usableServingCertificate(data, ca, names, now);
      if (stored != null) {
        return stored;
      }
    }
    Certificates.Issued serving =
        Certificates.newServingCertificate(ca, names, now, tls.certValidity());
    TlsMaterial material =
        new TlsMaterial(
            Certificates.pem(serving.certificate()),
            Certificates.pem(serving.key()),
            Certificates.pem(ca.certificate()));
    Map<String, String> updated = new HashMap<>();
    updated.put(CA_CERT, base64(material.caPem()));
    updated.put(CA_KEY, base64(Certificates.pem(ca.key())));
    updated.put(TLS_CERT, base64(material.certChainPem()));
    updated.put(TLS_KEY, base64(material.privateKeyPem()));
    secret.setData(updated);
    // update() sends the resourceVersion we read: a concurrent writer makes it fail with 409.
    client.secrets().inNamespace(tls.serviceNamespace()).resource(secret).update();
    LOG.info(
        "{}: issued a new {}serving certificate for {}, valid until {}",
        where(),
        newCa ? "CA and " : "",
        names,
        serving.certificate().getNotAfter().toInstant());
    return material;
  }

  /** The stored CA if it parses, matches its key and is fresh; else null. */
  private static Certificates.Issued usableCa(Map<String, String> data, Instant now) {
    try {
      List<X509Certificate> certs = Certificates.parseCertificates(decode(data, CA_CERT));
      PrivateKey key = Certificates.parseEcPrivateKey(decode(data, CA_KEY));
      if (certs.size() == 1
          && Certificates.fresh(certs.get(0), now)
          && Certificates.matches(key, certs.get(0))) {
        return new Certificates.Issued(certs.get(0), key);
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      LOG.debug("stored CA unusable: {}", e.toString());
    }
    return null;
  }

  /** The stored serving certificate if it is usable with {@code ca}; else null. */
  private static TlsMaterial usableServingCertificate(
      Map<String, String> data, Certificates.Issued ca, List<String> names, Instant now) {
    try {
      String certPem = decode(data, TLS_CERT);
      String keyPem = decode(data, TLS_KEY);
      List<X509Certificate> certs = Certificates.parseCertificates(certPem);
      if (!certs.isEmpty()
          && Certificates.fresh(certs.get(0), now)
          && Certificates.signedBy(certs.get(0), ca.certificate())
          && Certificates.covers(certs.get(0), names)
          && Certificates.matches(Certificates.parseEcPrivateKey(keyPem), certs.get(0))) {
        return new TlsMaterial(certPem, keyPem, decode(data, CA_CERT));
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      LOG.debug("stored serving certificate unusable: {}", e.toString());
    }
    return null;
  }

  private static String decode(Map<String, String> data, String key) {
    String value = data.get(key);
    if (value == null) {
      throw new IllegalArgumentException(key + ": missing");
    }
    return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII);
  }

  private static String base64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
  }

  private String where() {
    return "secret " + tls.serviceNamespace() + "/" + tls.secretName();
  }
}
