package dev.knetty.autoscaler.kubernetes.webhook;

import dev.knetty.autoscaler.kubernetes.Environment;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.RevisionDefaults;
import io.fabric8.kubernetes.api.model.Quantity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the queue-proxy injection webhook needs: its HTTPS server, its certificates, the
 * sidecar it injects and the revision defaults. {@link #fromEnvironment} reads it from the {@code
 * KNETTY_WEBHOOK_*}, {@code KNETTY_QUEUE_PROXY_*} and {@code KNETTY_REVISION_*} variables that the
 * Helm chart sets.
 *
 * @param bindAddress the address the HTTPS server binds, e.g. {@code 0.0.0.0}
 * @param port the HTTPS port; 0 picks a free one
 * @param maxRequestBytes the largest AdmissionReview accepted (413 above)
 * @param idleTimeout connections idle this long are closed
 * @param tls where the serving certificate comes from
 * @param queueProxy the injected sidecar
 * @param revisionDefaults Knative's {@code config-defaults} for revisions
 */
public record WebhookConfig(
    String bindAddress,
    int port,
    int maxRequestBytes,
    Duration idleTimeout,
    Tls tls,
    QueueProxy queueProxy,
    RevisionDefaults revisionDefaults) {

  /** Where the serving certificate comes from. */
  public enum CertMode {
    /**
     * A CA and serving certificate generated at start (or reused from a previous start), kept in a
     * Secret that every replica shares, the CA patched into the MutatingWebhookConfiguration.
     */
    GENERATE,
    /** PEM files mounted from a Secret (cert-manager or supplied values); reloaded when changed. */
    FILES
  }

  /**
   * The serving certificate.
   *
   * @param mode generate or files
   * @param serviceName the webhook's Service, for the certificate's names
   * @param serviceNamespace the Service's namespace
   * @param webhookConfigurationName the MutatingWebhookConfiguration whose {@code caBundle} a
   *     generated CA is patched into
   * @param secretName the Secret (in {@code serviceNamespace}) that keeps a generated CA and
   *     certificate, so that all replicas serve the same one
   * @param extraSubjectAltNames further DNS names or IP addresses for a generated certificate (e.g.
   *     for a webhook reached by URL)
   * @param certValidity lifetime of a generated serving certificate; renewed in its last third
   * @param caValidity lifetime of a generated CA; renewed in its last third
   * @param certFile files mode: the PEM certificate chain ({@code tls.crt})
   * @param keyFile files mode: the PEM private key ({@code tls.key}), PKCS#8, PKCS#1 or SEC1
   * @param refreshInterval how often certificates are re-read (files, Secret) and the CA bundle
   *     re-checked
   */
  public record Tls(
      CertMode mode,
      String serviceName,
      String serviceNamespace,
      String webhookConfigurationName,
      String secretName,
      List<String> extraSubjectAltNames,
      Duration certValidity,
      Duration caValidity,
      Path certFile,
      Path keyFile,
      Duration refreshInterval) {

    public Tls {
      Objects.requireNonNull(mode, "mode");
      requireName("serviceName", serviceName);
      requireName("serviceNamespace", serviceNamespace);
      requireName("webhookConfigurationName", webhookConfigurationName);
      requireName("secretName", secretName);
      extraSubjectAltNames = List.copyOf(extraSubjectAltNames);
      for (String san : extraSubjectAltNames) {
        if (san.isBlank()) {
          throw new IllegalArgumentException(
              "extraSubjectAltNames: " + extraSubjectAltNames + " (expected: no blank names)");
        }
      }
      requirePositive("certValidity", certValidity);
      requirePositive("caValidity", caValidity);
      if (caValidity.compareTo(certValidity) < 0) {
        throw new IllegalArgumentException(
            "caValidity: " + caValidity + " (expected: >= certValidity " + certValidity + ")");
      }
      Objects.requireNonNull(certFile, "certFile");
      Objects.requireNonNull(keyFile, "keyFile");
      requirePositive("refreshInterval", refreshInterval);
    }

    /** The DNS names of a generated certificate: the Service's short and qualified names. */
    public List<String> serviceDnsNames() {
      String s = serviceName + "." + serviceNamespace;
      return List.of(serviceName, s, s + ".svc", s + ".svc.cluster.local");
    }
  }

  /**
   * The injected queue-proxy container. Its command is the image's entrypoint.
   *
   * @param image the queue-proxy image
   * @param imagePullPolicy {@code Always}, {@code IfNotPresent}, {@code Never}, or empty for the
   *     cluster's default
   * @param cpuRequest e.g. {@code 25m}
   * @param memoryRequest e.g. {@code 96Mi}
   * @param cpuLimit empty = none (recommended: a CPU limit throttles the sidecar, serving#8057)
   * @param memoryLimit empty = none
   * @param autoscalerAddress {@code host:port} of the autoscaler's KMP Service
   */
  public record QueueProxy(
      String image,
      String imagePullPolicy,
      String cpuRequest,
      String memoryRequest,
      String cpuLimit,
      String memoryLimit,
      String autoscalerAddress) {

    private static final Set<String> PULL_POLICIES = Set.of("", "Always", "IfNotPresent", "Never");

    public QueueProxy {
      if (image == null || image.isBlank()) {
        throw new IllegalArgumentException("image: " + image + " (expected: an image reference)");
      }
      if (!PULL_POLICIES.contains(imagePullPolicy)) {
        throw new IllegalArgumentException(
            "imagePullPolicy: "
                + imagePullPolicy
                + " (expected: Always, IfNotPresent, Never or empty)");
      }
      requireQuantity("cpuRequest", cpuRequest);
      requireQuantity("memoryRequest", memoryRequest);
      requireQuantity("cpuLimit", cpuLimit);
      requireQuantity("memoryLimit", memoryLimit);
      requireHostPort("autoscalerAddress", autoscalerAddress);
    }
  }

  public WebhookConfig {
    if (bindAddress == null || bindAddress.isBlank()) {
      throw new IllegalArgumentException(
          "bindAddress: " + bindAddress + " (expected: an address, e.g. 0.0.0.0)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: in [0, 65535])");
    }
    if (maxRequestBytes < 1024) {
      throw new IllegalArgumentException(
          "maxRequestBytes: " + maxRequestBytes + " (expected: >= 1024)");
    }
    requirePositive("idleTimeout", idleTimeout);
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(queueProxy, "queueProxy");
    Objects.requireNonNull(revisionDefaults, "revisionDefaults");
  }

  /** The Kubernetes API server's own request limit (3 MiB); an AdmissionReview is never larger. */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 3 * 1024 * 1024;

  /**
   * Reads the configuration from environment variables. Required: {@code
   * KNETTY_WEBHOOK_SERVICE_NAME}, {@code KNETTY_WEBHOOK_SERVICE_NAMESPACE}, {@code
   * KNETTY_QUEUE_PROXY_IMAGE}, {@code KNETTY_QUEUE_PROXY_AUTOSCALER_ADDRESS}. Optional, with
   * defaults: {@code KNETTY_WEBHOOK_BIND_ADDRESS} (0.0.0.0), {@code KNETTY_WEBHOOK_PORT} (8443),
   * {@code KNETTY_WEBHOOK_MAX_REQUEST_BYTES} (3 MiB), {@code KNETTY_WEBHOOK_IDLE_TIMEOUT_SECONDS}
   * (90), {@code KNETTY_WEBHOOK_CERT_MODE} ({@code generate} or {@code files}), {@code
   * KNETTY_WEBHOOK_CONFIGURATION_NAME} (knetty-webhook), {@code KNETTY_WEBHOOK_CERT_SECRET}
   * (knetty-webhook-certs), {@code KNETTY_WEBHOOK_EXTRA_SANS} (comma-separated), {@code
   * KNETTY_WEBHOOK_CERT_VALIDITY_DAYS} (365), {@code KNETTY_WEBHOOK_CA_VALIDITY_DAYS} (3650),
   * {@code KNETTY_WEBHOOK_CERT_DIR} (/etc/knetty/webhook-certs, holding {@code tls.crt} and {@code
   * tls.key}), {@code KNETTY_WEBHOOK_CERT_REFRESH_SECONDS} (60), {@code
   * KNETTY_QUEUE_PROXY_IMAGE_PULL_POLICY} (empty), {@code KNETTY_QUEUE_PROXY_CPU_REQUEST} (25m),
   * {@code KNETTY_QUEUE_PROXY_MEMORY_REQUEST} (96Mi), {@code KNETTY_QUEUE_PROXY_CPU_LIMIT} (none),
   * {@code KNETTY_QUEUE_PROXY_MEMORY_LIMIT} (none), and Knative's revision defaults {@code
   * KNETTY_REVISION_CONTAINER_CONCURRENCY} (0), {@code
   * KNETTY_REVISION_CONTAINER_CONCURRENCY_MAX_LIMIT} (1000), {@code
   * KNETTY_REVISION_TIMEOUT_SECONDS} (300), {@code KNETTY_REVISION_MAX_TIMEOUT_SECONDS} (600),
   * {@code KNETTY_REVISION_RESPONSE_START_TIMEOUT_SECONDS} (300), {@code
   * KNETTY_REVISION_IDLE_TIMEOUT_SECONDS} (0).
   *
   * @throws IllegalArgumentException naming the variable, its value and what was expected
   */
  public static WebhookConfig fromEnvironment(Map<String, String> env) {
    Environment e = new Environment(env);
    Path certDir = Path.of(e.string("KNETTY_WEBHOOK_CERT_DIR", "/etc/knetty/webhook-certs"));
    Tls tls =
        new Tls(
            certMode(e, "KNETTY_WEBHOOK_CERT_MODE"),
            e.required("KNETTY_WEBHOOK_SERVICE_NAME"),
            e.required("KNETTY_WEBHOOK_SERVICE_NAMESPACE"),
            e.string("KNETTY_WEBHOOK_CONFIGURATION_NAME", "knetty-webhook"),
            e.string("KNETTY_WEBHOOK_CERT_SECRET", "knetty-webhook-certs"),
            e.list("KNETTY_WEBHOOK_EXTRA_SANS"),
            Duration.ofDays(e.integer("KNETTY_WEBHOOK_CERT_VALIDITY_DAYS", 365)),
            Duration.ofDays(e.integer("KNETTY_WEBHOOK_CA_VALIDITY_DAYS", 3650)),
            certDir.resolve("tls.crt"),
            certDir.resolve("tls.key"),
            Duration.ofSeconds(e.integer("KNETTY_WEBHOOK_CERT_REFRESH_SECONDS", 60)));
    QueueProxy queueProxy =
        new QueueProxy(
            e.required("KNETTY_QUEUE_PROXY_IMAGE"),
            e.string("KNETTY_QUEUE_PROXY_IMAGE_PULL_POLICY", ""),
            e.string("KNETTY_QUEUE_PROXY_CPU_REQUEST", "25m"),
            e.string("KNETTY_QUEUE_PROXY_MEMORY_REQUEST", "96Mi"),
            e.string("KNETTY_QUEUE_PROXY_CPU_LIMIT", ""),
            e.string("KNETTY_QUEUE_PROXY_MEMORY_LIMIT", ""),
            e.required("KNETTY_QUEUE_PROXY_AUTOSCALER_ADDRESS"));
    RevisionDefaults revisionDefaults = revisionDefaults(e);
    return new WebhookConfig(
        e.string("KNETTY_WEBHOOK_BIND_ADDRESS", "0.0.0.0"),
        e.integer("KNETTY_WEBHOOK_PORT", 8443),
        e.integer("KNETTY_WEBHOOK_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES),
        Duration.ofSeconds(e.integer("KNETTY_WEBHOOK_IDLE_TIMEOUT_SECONDS", 90)),
        tls,
        queueProxy,
        revisionDefaults);
  }

  /** Knative's variable of each {@code config-defaults} key, to name it in errors. */
  private static final Map<String, String> DEFAULTS_VARIABLES =
      Map.of(
          "container-concurrency", "KNETTY_REVISION_CONTAINER_CONCURRENCY",
          "container-concurrency-max-limit", "KNETTY_REVISION_CONTAINER_CONCURRENCY_MAX_LIMIT",
          "revision-timeout-seconds", "KNETTY_REVISION_TIMEOUT_SECONDS",
          "max-revision-timeout-seconds", "KNETTY_REVISION_MAX_TIMEOUT_SECONDS",
          "revision-response-start-timeout-seconds",
              "KNETTY_REVISION_RESPONSE_START_TIMEOUT_SECONDS",
          "revision-idle-timeout-seconds", "KNETTY_REVISION_IDLE_TIMEOUT_SECONDS");

  /**
   * Knative's {@code config-defaults} for revisions, from the {@code KNETTY_REVISION_*} variables.
   */
  private static RevisionDefaults revisionDefaults(Environment e) {
    RevisionDefaults k = RevisionDefaults.defaults();
    try {
      return new RevisionDefaults(
          e.integer("KNETTY_REVISION_TIMEOUT_SECONDS", (int) k.revisionTimeoutSeconds()),
          e.integer("KNETTY_REVISION_MAX_TIMEOUT_SECONDS", (int) k.maxRevisionTimeoutSeconds()),
          e.integer(
              "KNETTY_REVISION_RESPONSE_START_TIMEOUT_SECONDS",
              (int) k.revisionResponseStartTimeoutSeconds()),
          e.integer("KNETTY_REVISION_IDLE_TIMEOUT_SECONDS", (int) k.revisionIdleTimeoutSeconds()),
          e.integer("KNETTY_REVISION_CONTAINER_CONCURRENCY", (int) k.containerConcurrency()),
          e.integer(
              "KNETTY_REVISION_CONTAINER_CONCURRENCY_MAX_LIMIT",
              (int) k.containerConcurrencyMaxLimit()),
          k.allowContainerConcurrencyZero());
    } catch (ConfigException ex) {
      throw new IllegalArgumentException(
          DEFAULTS_VARIABLES.getOrDefault(ex.key(), ex.key())
              + ": "
              + ex.value()
              + " (expected: "
              + ex.expected()
              + ")",
          ex);
    }
  }

  private static CertMode certMode(Environment e, String name) {
    String v = e.string(name, "generate");
    try {
      return CertMode.valueOf(v.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: generate or files)", ex);
    }
  }

  private static void requireName(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + ": " + value + " (expected: a non-empty name)");
    }
  }

  private static void requirePositive(String what, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + ": " + value + " (expected: > 0)");
    }
  }

  /** A Kubernetes quantity such as {@code 25m} or {@code 96Mi}; empty means unset. */
  private static void requireQuantity(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty()) {
      return;
    }
    try {
      if (Quantity.getAmountInBytes(new Quantity(value)).signum() < 0) {
        throw new IllegalArgumentException("negative");
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          what + ": " + value + " (expected: a Kubernetes quantity such as 25m or 96Mi)", e);
    }
  }

  private static void requireHostPort(String what, String value) {
    int colon = value == null ? -1 : value.lastIndexOf(':');
    boolean ok = colon > 0;
    if (ok) {
      try {
        int p = Integer.parseInt(value.substring(colon + 1));
        ok = p >= 1 && p <= 65535;
      } catch (NumberFormatException e) {
        ok = false;
      }
    }
    if (!ok) {
      throw new IllegalArgumentException(
          what + ": " + value + " (expected: host:port, e.g. knetty-autoscaler.knetty.svc:9095)");
    }
  }
}
