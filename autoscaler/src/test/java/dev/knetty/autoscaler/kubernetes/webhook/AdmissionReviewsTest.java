package dev.knetty.autoscaler.kubernetes.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionReviewsTest {

  private final KubernetesSerialization serialization = Fixtures.SERIALIZATION;
  private final ObjectMapper json = new ObjectMapper();
  private final PodMutator mutator = Fixtures.mutator();
  private final AdmissionReviews reviews = new AdmissionReviews(mutator, serialization);

  private AdmissionReviews.Result review(JsonNode body) throws Exception {
    return reviews.review(new ByteArrayInputStream(json.writeValueAsBytes(body)));
  }

  private ObjectNode fixture() throws Exception {
    return (ObjectNode) json.readTree(Fixtures.resource("/webhook/admission-review-pod.json"));
  }

  static JsonNode patchOf(AdmissionResponse response) throws Exception {
    return new ObjectMapper().readTree(Base64.getDecoder().decode(response.getPatch()));
  }

  @Test
  void patchAppliedToTheOriginalObjectGivesTheMutatedPod() throws Exception {
    ObjectNode body = fixture();
    JsonNode original = body.path("request").path("object");

    AdmissionReviews.Result result = review(body);

    assertThat(result.outcome()).isEqualTo(AdmissionReviews.Outcome.PATCHED);
    AdmissionResponse response = result.review().getResponse();
    assertThat(result.review().getApiVersion()).isEqualTo("admission.k8s.io/v1");
    assertThat(result.review().getKind()).isEqualTo("AdmissionReview");
    assertThat(response.getUid()).isEqualTo("3c5f8a36-6a0e-4f6b-9d0f-2d4b5e1a7c11");
    assertThat(response.getAllowed()).isTrue();
    assertThat(response.getPatchType()).isEqualTo("JSONPatch");
    assertThat(response.getWarnings()).isEmpty();

    JsonNode patched = JsonPatch.apply(patchOf(response), original);
    Pod expected = mutator.mutate(serialization.convertValue(original, Pod.class)).pod();
    assertThat(serialization.convertValue(patched, Pod.class)).isEqualTo(expected);
    // Fields unknown to the model and untouched fields survive verbatim.
    assertThat(patched.path("spec").path("futureField"))
        .isEqualTo(original.path("spec").path("futureField"));
    assertThat(patched.path("metadata")).isEqualTo(original.path("metadata"));
  }

  @Test
  void patchTouchesOnlyWhatTheMutationChanged() throws Exception {
    JsonNode patch = patchOf(review(fixture()).review().getResponse());

    List<String> ops = new ArrayList<>();
    patch.forEach(op -> ops.add(op.path("op").asText() + " " + op.path("path").asText()));
    assertThat(ops)
        .containsExactlyInAnyOrder(
            "remove /spec/containers/0/readinessProbe",
            "add /spec/containers/0/lifecycle",
            "add /spec/containers/1",
            "add /spec/volumes/1",
            "replace /spec/terminationGracePeriodSeconds");
  }

  @Test
  void reviewingThePatchedPodAgainGivesNoPatch() throws Exception {
    ObjectNode body = fixture();
    JsonNode once =
        JsonPatch.apply(
            patchOf(review(body).review().getResponse()), body.path("request").path("object"));
    ((ObjectNode) body.path("request")).set("object", once);

    AdmissionReviews.Result second = review(body);

    assertThat(second.outcome()).isEqualTo(AdmissionReviews.Outcome.ALLOWED);
    assertThat(second.review().getResponse().getAllowed()).isTrue();
    assertThat(second.review().getResponse().getPatch()).isNull();
    assertThat(second.review().getResponse().getPatchType()).isNull();
  }

  @Test
  void podWithoutRevisionLabelIsAllowedWithoutPatch() throws Exception {
    ObjectNode body = fixture();
    ((ObjectNode) body.path("request").path("object").path("metadata").path("labels"))
        .remove("knetty.dev/revision");

    AdmissionReviews.Result result = review(body);

    assertThat(result.outcome()).isEqualTo(AdmissionReviews.Outcome.ALLOWED);
    assertThat(result.review().getResponse().getPatch()).isNull();
    assertThat(result.review().getResponse().getWarnings()).isEmpty();
  }

  @Test
  void badAnnotationGivesPatchAndWarning() throws Exception {
    ObjectNode body = fixture();
    ((ObjectNode) body.path("request").path("object").path("metadata").path("annotations"))
        .put("knetty.dev/container-concurrency", "many");

    AdmissionResponse response = review(body).review().getResponse();

    assertThat(response.getPatch()).isNotNull();
    assertThat(response.getWarnings())
        .containsExactly(
            "knetty: knetty.dev/container-concurrency: \"many\" (expected: an integer in [0,"
                + " 1000]); using 0");
  }

  @Test
  void onlyPodCreationsAreMutated() throws Exception {
    ObjectNode update = fixture();
    ((ObjectNode) update.path("request")).put("operation", "UPDATE");
    ObjectNode service = fixture();
    ((ObjectNode) service.path("request").path("kind")).put("kind", "Service");

    assertThat(review(update).review().getResponse().getPatch()).isNull();
    AdmissionResponse other = review(service).review().getResponse();
    assertThat(other.getAllowed()).isTrue();
    assertThat(other.getPatch()).isNull();
    assertThat(other.getWarnings()).singleElement().asString().contains("only pods");
  }

  @Test
  void unusableObjectIsAllowedUnmutatedWithAWarning() throws Exception {
    ObjectNode body = fixture();
    ((ObjectNode) body.path("request").path("object").path("spec")).put("containers", "oops");

    AdmissionReviews.Result result = review(body);

    assertThat(result.outcome()).isEqualTo(AdmissionReviews.Outcome.FAILED);
    assertThat(result.failure()).isNotNull();
    assertThat(result.review().getResponse().getAllowed()).isTrue();
    assertThat(result.review().getResponse().getPatch()).isNull();
    assertThat(result.review().getResponse().getWarnings())
        .singleElement()
        .asString()
        .startsWith("knetty: queue-proxy not injected: ");
  }

  @Test
  void nonAdmissionReviewsAreRejected() {
    assertThatThrownBy(() -> reviews.review(stream("not json")))
        .isInstanceOf(AdmissionReviews.BadReviewException.class)
        .hasMessageStartingWith("request body is not JSON");
    assertThatThrownBy(() -> reviews.review(stream("[1,2]")))
        .hasMessage("request body: not a JSON object (expected: AdmissionReview)");
    assertThatThrownBy(
            () ->
                reviews.review(
                    stream(
                        "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\"}")))
        .hasMessage("apiVersion: admission.k8s.io/v1beta1 (expected: admission.k8s.io/v1)");
    assertThatThrownBy(
            () ->
                reviews.review(stream("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}")))
        .hasMessage("kind: Pod (expected: AdmissionReview)");
    assertThatThrownBy(
            () ->
                reviews.review(
                    stream(
                        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                            + "\"request\":{}}")))
        .hasMessage("request.uid: missing (expected: a non-empty string)");
  }

  private static ByteArrayInputStream stream(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }
}
