package dev.knetty.autoscaler.kubernetes.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GroupVersionKind;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.zjsonpatch.DiffFlags;
import io.fabric8.zjsonpatch.JsonDiff;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Answers {@code admission.k8s.io/v1} AdmissionReviews for pods: always allowed, with a JSONPatch
 * when the pod is a revision pod without a queue-proxy.
 *
 * <p>The patch is the difference between the pod before and after {@link PodMutator}, both
 * serialized by the same fabric8 mapper, computed by fabric8's {@code zjsonpatch}. The mutation is
 * thus written once, against the typed model, and the patch cannot disagree with it; both sides
 * pass through the same serializer, so the mapper's normalisations cancel out and the patch touches
 * only what the mutation changed. Move and copy operations are disabled so that every operation
 * stands on its own.
 */
final class AdmissionReviews {

  static final String API_VERSION = "admission.k8s.io/v1";
  static final String KIND = "AdmissionReview";
  static final String PATCH_TYPE = "JSONPatch";
  static final String WARNING_PREFIX = "knetty: ";

  /** What happened to one review, for metrics and logs. */
  enum Outcome {
    /** Allowed with a patch. */
    PATCHED,
    /** Allowed without a patch: not a revision pod, already injected, or not a CREATE. */
    ALLOWED,
    /** Allowed without a patch because the mutation failed; the response carries a warning. */
    FAILED
  }

  /** The response to send, how it went, and the failure if any. */
  record Result(AdmissionReview review, Outcome outcome, RuntimeException failure) {}

  /** The body is not an {@code admission.k8s.io/v1} AdmissionReview: answered with 400. */
  static final class BadReviewException extends Exception {
    private static final long serialVersionUID = 1L;

    BadReviewException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final PodMutator mutator;
  private final KubernetesSerialization serialization;
  private final ObjectMapper json = new ObjectMapper();

  AdmissionReviews(PodMutator mutator, KubernetesSerialization serialization) {
    this.mutator = Objects.requireNonNull(mutator, "mutator");
    this.serialization = Objects.requireNonNull(serialization, "serialization");
  }

  /** Reads an AdmissionReview and answers it. Never throws for a well-formed review. */
  Result review(InputStream body) throws BadReviewException {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadReviewException("request body is not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new BadReviewException("request body unreadable: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new BadReviewException(
          "request body: not a JSON object (expected: AdmissionReview)", null);
    }
    expect(root, "apiVersion", API_VERSION);
    expect(root, "kind", KIND);
    JsonNode uid = root.path("request").path("uid");
    if (!uid.isTextual() || uid.asText().isEmpty()) {
      throw new BadReviewException("request.uid: missing (expected: a non-empty string)", null);
    }
    // The object is converted on its own, so that a pod the model cannot read still gets a
    // proper (allowing) answer instead of a 400.
    ObjectNode requestNode = (ObjectNode) root.get("request");
    JsonNode object = requestNode.remove("object");
    requestNode.remove("oldObject");
    AdmissionRequest request;
    try {
      request = serialization.convertValue(root, AdmissionReview.class).getRequest();
    } catch (IllegalArgumentException e) {
      throw new BadReviewException("not an AdmissionReview: " + e.getMessage(), e);
    }
    return respond(request, object);
  }

  private Result respond(AdmissionRequest request, JsonNode object) {
    String uid = request.getUid();
    try {
      GroupVersionKind kind = request.getKind();
      if (kind == null
          || !"Pod".equals(kind.getKind())
          || !(kind.getGroup() == null || kind.getGroup().isEmpty())) {
        return allowed(uid, List.of("only pods are mutated, not " + kind), Outcome.ALLOWED);
      }
      if (!"CREATE".equals(request.getOperation()) || object == null || object.isNull()) {
        return allowed(uid, List.of(), Outcome.ALLOWED);
      }
      Pod pod = serialization.convertValue(object, Pod.class);
      PodMutator.Mutation mutation = mutator.mutate(pod);
      if (!mutation.changed()) {
        return allowed(uid, mutation.warnings(), Outcome.ALLOWED);
      }
      JsonNode patch =
          JsonDiff.asJson(
              serialization.convertValue(pod, JsonNode.class),
              serialization.convertValue(mutation.pod(), JsonNode.class),
              DiffFlags.dontNormalizeOpIntoMoveAndCopy());
      if (patch.isEmpty()) {
        return allowed(uid, mutation.warnings(), Outcome.ALLOWED);
      }
      String encoded =
          Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8));
      AdmissionReview review =
          review(
              new AdmissionResponseBuilder()
                  .withUid(uid)
                  .withAllowed(true)
                  .withPatchType(PATCH_TYPE)
                  .withPatch(encoded)
                  .withWarnings(prefixed(mutation.warnings())));
      return new Result(review, Outcome.PATCHED, null);
    } catch (RuntimeException e) {
      // Never fail pod creation because of us: allow it unmutated and say why.
      return new Result(
          review(
              new AdmissionResponseBuilder()
                  .withUid(uid)
                  .withAllowed(true)
                  .withWarnings(prefixed(List.of("queue-proxy not injected: " + e)))),
          Outcome.FAILED,
          e);
    }
  }

  private static Result allowed(String uid, List<String> warnings, Outcome outcome) {
    return new Result(
        review(
            new AdmissionResponseBuilder()
                .withUid(uid)
                .withAllowed(true)
                .withWarnings(prefixed(warnings))),
        outcome,
        null);
  }

  private static AdmissionReview review(AdmissionResponseBuilder response) {
    return new AdmissionReviewBuilder()
        .withApiVersion(API_VERSION)
        .withKind(KIND)
        .withResponse(response.build())
        .build();
  }

  private static List<String> prefixed(List<String> warnings) {
    List<String> out = new ArrayList<>(warnings.size());
    for (String w : warnings) {
      out.add(WARNING_PREFIX + w);
    }
    return out;
  }

  private static void expect(JsonNode root, String field, String expected)
      throws BadReviewException {
    String actual = root.path(field).asText(null);
    if (!expected.equals(actual)) {
      throw new BadReviewException(field + ": " + actual + " (expected: " + expected + ")", null);
    }
  }
}
