package dev.knetty.autoscaler.kubernetes.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two replicas starting at once: ours loses the optimistic-locking race (409) and must serve what
 * the winner stored, not its own certificate.
 */
@EnableKubernetesMockClient
class SecretConflictTest {

  private static final String PATH =
      "/api/v1/namespaces/knetty-system/secrets/knetty-webhook-certs";

  KubernetesMockServer server;
  KubernetesClient client;

  @Test
  void losingTheRaceServesTheWinnersCertificate() throws Exception {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    WebhookConfig.Tls tls = Fixtures.config(Map.of()).tls();
    Certificates.Issued ca = Certificates.newCa("winner-ca", now, Duration.ofDays(3650));
    Certificates.Issued leaf =
        Certificates.newServingCertificate(ca, tls.serviceDnsNames(), now, Duration.ofDays(365));
    Secret empty =
        new SecretBuilder()
            .withNewMetadata()
            .withName("knetty-webhook-certs")
            .withNamespace("knetty-system")
            .withResourceVersion("1")
            .endMetadata()
            .build();
    Secret winners =
        new SecretBuilder(empty)
            .editMetadata()
            .withResourceVersion("2")
            .endMetadata()
            .withData(
                Map.of(
                    "ca.crt", b64(Certificates.pem(ca.certificate())),
                    "ca.key", b64(Certificates.pem(ca.key())),
                    "tls.crt", b64(Certificates.pem(leaf.certificate())),
                    "tls.key", b64(Certificates.pem(leaf.key()))))
            .build();
    server.expect().get().withPath(PATH).andReturn(200, empty).once();
    server
        .expect()
        .put()
        .withPath(PATH)
        .andReturn(
            409,
            new StatusBuilder()
                .withCode(409)
                .withReason("Conflict")
                .withMessage("conflict")
                .build())
        .once();
    server.expect().get().withPath(PATH).andReturn(200, winners).once();

    TlsMaterial material =
        new SecretCertificateSource(client, tls, Clock.fixed(now, ZoneOffset.UTC)).load();

    assertThat(material.caPem()).isEqualTo(Certificates.pem(ca.certificate()));
    assertThat(material.certChainPem()).isEqualTo(Certificates.pem(leaf.certificate()));
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }
}
