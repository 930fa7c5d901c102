package dev.knetty.autoscaler.kubernetes.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.net.Transport;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Generate mode against fabric8's mock API server in CRUD mode: the certificate is generated into
 * the shared Secret, the CA patched into the MutatingWebhookConfiguration, and the server serves a
 * certificate that a client trusting only that CA bundle accepts.
 */
@EnableKubernetesMockClient(crud = true)
class GeneratedCertificatesTest {

  private static final String NAMESPACE = "knetty-system";
  private static final String SECRET = "knetty-webhook-certs";
  private static final String MWC = "knetty-webhook";

  KubernetesClient client;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<WebhookServer> servers = new ArrayList<>();
  private ExecutorService clientThreads;

  @BeforeEach
  void setUp() {
    clientThreads = Executors.newCachedThreadPool();
    // What the Helm chart creates: an empty Secret and the configuration without a CA bundle.
    client
        .secrets()
        .inNamespace(NAMESPACE)
        .resource(new SecretBuilder().withNewMetadata().withName(SECRET).endMetadata().build())
        .create();
    client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(mwc()).create();
  }

  @AfterEach
  void tearDown() {
    servers.forEach(WebhookServer::close);
    clientThreads.shutdownNow();
  }

  private static MutatingWebhookConfiguration mwc() {
    return new MutatingWebhookConfigurationBuilder()
        .withNewMetadata()
        .withName(MWC)
        .endMetadata()
        .addNewWebhook()
        .withName("queue-proxy.knetty.dev")
        .withAdmissionReviewVersions("v1")
        .withSideEffects("None")
        .withNewClientConfig()
        .withNewService()
        .withName("knetty-autoscaler")
        .withNamespace(NAMESPACE)
        .withPath("/mutate")
        .withPort(443)
        .endService()
        .endClientConfig()
        .endWebhook()
        .build();
  }

  private WebhookConfig config(String extraSans) {
    return Fixtures.config(
        Map.of(
            "KNETTY_WEBHOOK_CERT_MODE", "generate",
            "KNETTY_WEBHOOK_CERT_SECRET", SECRET,
            "KNETTY_WEBHOOK_CONFIGURATION_NAME", MWC,
            "KNETTY_WEBHOOK_EXTRA_SANS", extraSans));
  }

  private WebhookServer newServer() {
    WebhookServer server =
        new WebhookServer(config("127.0.0.1"), Transport.fromEnvironment(), client, registry);
    servers.add(server);
    return server;
  }

  private Map<String, String> secretData() {
    return client.secrets().inNamespace(NAMESPACE).withName(SECRET).get().getData();
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
  }

  private X509Certificate storedCa() throws Exception {
    return Certificates.parseCertificates(decode(secretData().get("ca.crt"))).get(0);
  }

  private String caBundle() {
    return client
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withName(MWC)
        .get()
        .getWebhooks()
        .get(0)
        .getClientConfig()
        .getCaBundle();
  }

  @Test
  void generatesStoresPatchesAndServes() throws Exception {
    int port = newServer().start();

    Map<String, String> data = secretData();
    assertThat(data).containsOnlyKeys("ca.crt", "ca.key", "tls.crt", "tls.key");
    assertThat(caBundle()).isEqualTo(data.get("ca.crt"));
    X509Certificate serving = Certificates.parseCertificates(decode(data.get("tls.crt"))).get(0);
    assertThat(
            Certificates.covers(
                serving,
                List.of(
                    "knetty-autoscaler.knetty-system.svc",
                    "knetty-autoscaler.knetty-system.svc.cluster.local",
                    "127.0.0.1")))
        .isTrue();

    HttpResponse<String> response =
        HttpsClients.post(
            HttpsClients.trusting(storedCa(), clientThreads),
            port,
            "/mutate",
            Fixtures.resource("/webhook/admission-review-pod.json"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"patchType\":\"JSONPatch\"");
  }

  @Test
  void secondReplicaServesTheStoredCertificate() throws Exception {
    int first = newServer().start();
    Map<String, String> stored = secretData();

    int second = newServer().start();

    assertThat(secretData()).isEqualTo(stored);
    var client = HttpsClients.trusting(storedCa(), clientThreads);
    assertThat(HttpsClients.get(client, first, "/healthz").statusCode()).isEqualTo(200);
    assertThat(HttpsClients.get(client, second, "/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void resetCaBundleIsPatchedBackOnRefresh() {
    WebhookServer server = newServer();
    server.start();
    String bundle = caBundle();
    client
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withName(MWC)
        .edit(
            m -> {
              m.getWebhooks().get(0).getClientConfig().setCaBundle(null);
              return m;
            });

    server.refresh();

    assertThat(caBundle()).isEqualTo(bundle);
  }

  @Test
  void missingWebhookConfigurationDoesNotStopServingAndIsPatchedOnceItExists() throws Exception {
    client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(MWC).delete();
    WebhookServer server = newServer();
    int port = server.start();
    assertThat(
            HttpsClients.get(HttpsClients.trusting(storedCa(), clientThreads), port, "/healthz")
                .statusCode())
        .isEqualTo(200);

    client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(mwc()).create();
    server.refresh();

    assertThat(caBundle()).isEqualTo(secretData().get("ca.crt"));
  }

  @Test
  void missingSecretFailsTheStart() {
    client.secrets().inNamespace(NAMESPACE).withName(SECRET).delete();

    assertThatThrownBy(() -> newServer().start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("secret knetty-system/knetty-webhook-certs: not found");
  }

  // The source on its own, with a clock, for renewal.

  private SecretCertificateSource source(Instant now, String extraSans) {
    return new SecretCertificateSource(
        client, config(extraSans).tls(), Clock.fixed(now, ZoneOffset.UTC));
  }

  @Test
  void servingCertificateIsRenewedInItsLastThirdWithTheSameCa() throws Exception {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    TlsMaterial first = source(start, "").load();

    TlsMaterial early = source(start.plus(Duration.ofDays(200)), "").load();
    TlsMaterial late = source(start.plus(Duration.ofDays(250)), "").load();

    assertThat(early).isEqualTo(first);
    assertThat(late.caPem()).isEqualTo(first.caPem());
    assertThat(late.certChainPem()).isNotEqualTo(first.certChainPem());
    assertThat(late.privateKeyPem()).isNotEqualTo(first.privateKeyPem());
    X509Certificate renewed = Certificates.parseCertificates(late.certChainPem()).get(0);
    assertThat(Certificates.signedBy(renewed, Certificates.parseCertificates(first.caPem()).get(0)))
        .isTrue();
  }

  @Test
  void caIsRenewedInItsLastThird() throws Exception {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    TlsMaterial first = source(start, "").load();

    TlsMaterial later = source(start.plus(Duration.ofDays(2500)), "").load();

    assertThat(later.caPem()).isNotEqualTo(first.caPem());
  }

  @Test
  void newNamesCauseANewServingCertificate() throws Exception {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    TlsMaterial first = source(now, "").load();

    TlsMaterial withSan = source(now, "webhook.example.com").load();

    assertThat(withSan.caPem()).isEqualTo(first.caPem());
    assertThat(
            Certificates.covers(
                Certificates.parseCertificates(withSan.certChainPem()).get(0),
                List.of("webhook.example.com")))
        .isTrue();
  }

  @Test
  void corruptStoredDataIsReplaced() throws Exception {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    Secret broken = client.secrets().inNamespace(NAMESPACE).withName(SECRET).get();
    broken.setData(
        Map.of(
            "ca.crt",
            Base64.getEncoder().encodeToString("garbage".getBytes(StandardCharsets.US_ASCII)),
            "tls.crt",
            "%%% not base64"));
    client.secrets().inNamespace(NAMESPACE).resource(broken).update();

    TlsMaterial material = source(now, "").load();

    assertThat(Certificates.parseCertificates(material.caPem())).hasSize(1);
    assertThat(secretData()).containsOnlyKeys("ca.crt", "ca.key", "tls.crt", "tls.key");
  }
}
