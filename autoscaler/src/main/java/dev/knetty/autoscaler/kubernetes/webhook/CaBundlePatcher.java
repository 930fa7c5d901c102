package dev.knetty.autoscaler.kubernetes.webhook;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * Keeps the {@code caBundle} of every webhook in our MutatingWebhookConfiguration equal to the
 * generated CA. Uses only {@code get} and {@code patch} on that one object (the chart's RBAC allows
 * exactly that, by resource name). Helm's three-way merge leaves the patched field alone on
 * upgrades; if anything resets it, the next refresh puts it back.
 */
final class CaBundlePatcher {

  private final KubernetesClient client;
  private final String name;

  CaBundlePatcher(KubernetesClient client, String name) {
    this.client = Objects.requireNonNull(client, "client");
    this.name = Objects.requireNonNull(name, "name");
  }

  /**
   * Patches the CA bundle in if any webhook lacks it.
   *
   * @return true if a patch was sent
   * @throws IllegalStateException if the configuration does not exist
   */
  boolean ensure(String caPem) {
    String bundle = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII));
    Resource<MutatingWebhookConfiguration> resource =
        client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(name);
    MutatingWebhookConfiguration current = resource.get();
    if (current == null) {
      throw new IllegalStateException(
          "mutatingwebhookconfiguration "
              + name
              + ": not found (expected: created by the Helm chart)");
    }
    if (current.getWebhooks().stream().allMatch(w -> hasBundle(w, bundle))) {
      return false;
    }
    // edit() sends a JSON patch of exactly the fields changed here.
    resource.edit(
        mwc -> {
          for (MutatingWebhook webhook : mwc.getWebhooks()) {
            if (webhook.getClientConfig() == null) {
              webhook.setClientConfig(new WebhookClientConfig());
            }
            webhook.getClientConfig().setCaBundle(bundle);
          }
          return mwc;
        });
    return true;
  }

  private static boolean hasBundle(MutatingWebhook webhook, String bundle) {
    return webhook.getClientConfig() != null
        && bundle.equals(webhook.getClientConfig().getCaBundle());
  }
}
