package dev.knetty.autoscaler.kubernetes.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.common.net.Transport;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.zjsonpatch.JsonPatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The HTTPS server over loopback, with certificates from files (cert-manager mode). */
class WebhookServerTest {

  @TempDir Path certDir;

  private final ObjectMapper json = new ObjectMapper();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private ExecutorService clientThreads;
  private WebhookServer server;
  private Certificates.Issued ca;

  @BeforeEach
  void setUp() throws Exception {
    clientThreads = Executors.newCachedThreadPool();
    ca = newCa();
    writeServingCertificate(ca, KeyEncoding.PKCS8_EC);
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
    clientThreads.shutdownNow();
  }

  private static Certificates.Issued newCa() throws Exception {
    return Certificates.newCa("test-ca", Instant.now(), Duration.ofDays(10));
  }

  /** How the serving key is written: ours, Go's/OpenSSL's SEC1, or cert-manager's RSA default. */
  enum KeyEncoding {
    PKCS8_EC,
    SEC1_EC,
    PKCS1_RSA
  }

  private void writeServingCertificate(Certificates.Issued ca, KeyEncoding encoding)
      throws Exception {
    KeyPairGenerator generator =
        KeyPairGenerator.getInstance(encoding == KeyEncoding.PKCS1_RSA ? "RSA" : "EC");
    if (encoding != KeyEncoding.PKCS1_RSA) {
      generator.initialize(new ECGenParameterSpec("secp256r1"));
    }
    KeyPair keys = generator.generateKeyPair();
    Certificates.Issued leaf =
        Certificates.newServingCertificate(
            ca,
            keys,
            List.of("knetty-autoscaler.knetty-system.svc", "127.0.0.1"),
            Instant.now(),
            Duration.ofDays(1));
    String key;
    switch (encoding) {
      case SEC1_EC:
        // RFC 5915 with the optional public key, as Go's x509.MarshalECPrivateKey writes it.
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
        ECPrivateKey sec1 =
            new ECPrivateKey(
                256,
                ((java.security.interfaces.ECPrivateKey) keys.getPrivate()).getS(),
                spki.getPublicKeyData(),
                spki.getAlgorithm().getParameters());
        key = pem(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        break;
      case PKCS1_RSA:
        key = pem(keys.getPrivate());
        assertThat(key).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        break;
      default:
        key = Certificates.pem(leaf.key());
    }
    Files.writeString(certDir.resolve("tls.crt"), Certificates.pem(leaf.certificate()));
    Files.writeString(certDir.resolve("tls.key"), key);
  }

  private static String pem(Object o) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }

  private int start(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(extra);
    env.put("KNETTY_WEBHOOK_CERT_MODE", "files");
    env.put("KNETTY_WEBHOOK_CERT_DIR", certDir.toString());
    server = new WebhookServer(Fixtures.config(env), Transport.fromEnvironment(), null, registry);
    return server.start();
  }

  private HttpClient client(X509Certificate trusted) throws Exception {
    return HttpsClients.trusting(trusted, clientThreads);
  }

  private double admissions(String outcome) {
    return registry.get("knetty.webhook.admissions").tag("outcome", outcome).counter().count();
  }

  @Test
  void mutatesAPodFromARealAdmissionReview() throws Exception {
    int port = start(Map.of());
    String body = Fixtures.resource("/webhook/admission-review-pod.json");

    // The API server appends the webhook timeout as a query parameter.
    HttpResponse<String> response =
        HttpsClients.post(client(ca.certificate()), port, "/mutate?timeout=10s", body);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    AdmissionReview review =
        Fixtures.SERIALIZATION.unmarshal(response.body(), AdmissionReview.class);
    assertThat(review.getApiVersion()).isEqualTo("admission.k8s.io/v1");
    assertThat(review.getKind()).isEqualTo("AdmissionReview");
    assertThat(review.getResponse().getUid()).isEqualTo("3c5f8a36-6a0e-4f6b-9d0f-2d4b5e1a7c11");
    assertThat(review.getResponse().getAllowed()).isTrue();
    assertThat(review.getResponse().getPatchType()).isEqualTo("JSONPatch");

    JsonNode original = json.readTree(body).path("request").path("object");
    Pod patched =
        Fixtures.SERIALIZATION.convertValue(
            JsonPatch.apply(AdmissionReviewsTest.patchOf(review.getResponse()), original),
            Pod.class);
    Container user = patched.getSpec().getContainers().get(0);
    Container qp = Fixtures.queueProxyOf(patched);
    assertThat(user.getReadinessProbe()).isNull();
    assertThat(user.getLifecycle().getPreStop().getHttpGet().getPath())
        .isEqualTo("/wait-for-drain");
    assertThat(Fixtures.envValues(qp))
        .containsEntry("SERVING_REVISION", "hello-00001")
        .containsEntry("SERVING_SERVICE", "hello")
        .containsEntry("CONTAINER_CONCURRENCY", "10")
        .containsEntry("REVISION_TIMEOUT_SECONDS", "120")
        .containsEntry("USER_PORT", "8080")
        .containsEntry(
            "SERVING_READINESS_PROBE",
            "{\"failureThreshold\":3,\"httpGet\":{\"host\":\"127.0.0.1\",\"path\":\"/ready\","
                + "\"port\":8080,\"scheme\":\"HTTP\"},\"periodSeconds\":10,\"successThreshold\":1,"
                + "\"timeoutSeconds\":1}");
    assertThat(patched.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(150L);
    assertThat(admissions("patched")).isEqualTo(1.0);
  }

  @Test
  void healthzAndProtocolErrors() throws Exception {
    int port = start(Map.of());
    HttpClient client = client(ca.certificate());

    HttpResponse<String> health = HttpsClients.get(client, port, "/healthz");
    HttpResponse<String> wrongMethod = HttpsClients.get(client, port, "/mutate");
    HttpResponse<String> unknown = HttpsClients.post(client, port, "/validate", "{}");
    HttpResponse<String> garbage = HttpsClients.post(client, port, "/mutate", "{\"kind\":\"Pod\"}");

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("allow")).hasValue("POST");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(garbage.body()).isEqualTo("apiVersion: null (expected: admission.k8s.io/v1)\n");
    assertThat(admissions("rejected")).isEqualTo(1.0);
    // The server is still fine after all that.
    assertThat(HttpsClients.get(client, port, "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void oversizedReviewIsRefusedWith413() throws Exception {
    int port = start(Map.of("KNETTY_WEBHOOK_MAX_REQUEST_BYTES", "2048"));

    HttpResponse<String> response =
        HttpsClients.post(client(ca.certificate()), port, "/mutate", "x".repeat(4096));

    assertThat(response.statusCode()).isEqualTo(413);
  }

  @ParameterizedTest
  @EnumSource(KeyEncoding.class)
  void readsKeysInEveryPemEncoding(KeyEncoding encoding) throws Exception {
    writeServingCertificate(ca, encoding);
    int port = start(Map.of());

    assertThat(HttpsClients.get(client(ca.certificate()), port, "/healthz").statusCode())
        .isEqualTo(200);
  }

  @Test
  void rotatedCertificateFilesAreServedAfterARefresh() throws Exception {
    int port = start(Map.of());
    Certificates.Issued rotatedCa = newCa();
    writeServingCertificate(rotatedCa, KeyEncoding.PKCS8_EC);

    server.refresh();

    assertThat(HttpsClients.get(client(rotatedCa.certificate()), port, "/healthz").statusCode())
        .isEqualTo(200);
    HttpClient oldTrust = client(ca.certificate());
    assertThatThrownBy(() -> HttpsClients.get(oldTrust, port, "/healthz"))
        .isInstanceOf(SSLHandshakeException.class);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> registry.get("knetty.webhook.tls.handshake.failures").counter().count() >= 1.0);
  }

  @Test
  void idleConnectionsAreClosed() throws Exception {
    int port = start(Map.of("KNETTY_WEBHOOK_IDLE_TIMEOUT_SECONDS", "1"));
    SSLContext ssl = HttpsClients.sslContextTrusting(ca.certificate());

    try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(60_000);
      socket.startHandshake();
      // Nothing is sent: the server closes the connection once it has been idle for 1 s.
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void brokenFilesOnRefreshKeepTheCurrentCertificate() throws Exception {
    int port = start(Map.of());
    Files.writeString(certDir.resolve("tls.crt"), "not a certificate");

    server.refresh();

    assertThat(HttpsClients.get(client(ca.certificate()), port, "/healthz").statusCode())
        .isEqualTo(200);
    assertThat(registry.get("knetty.webhook.certificate.refresh.failures").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void missingCertificateFilesFailTheStart() throws Exception {
    Files.delete(certDir.resolve("tls.crt"));

    assertThatThrownBy(() -> start(Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tls.crt");
  }

  @Test
  void generateModeNeedsAKubernetesClient() {
    assertThatThrownBy(
            () ->
                new WebhookServer(
                    Fixtures.config(Map.of()), Transport.fromEnvironment(), null, registry))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("client: null");
  }
}
