package dev.knetty.autoscaler.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's mock API server in CRUD mode, with what the autoscaler needs beyond plain CRUD:
 *
 * <ul>
 *   <li>the Deployments' {@code scale} subresource (GET, PUT with optimistic locking, merge PATCH),
 *       which sets the stored Deployment's {@code spec.replicas} as the real API server does;
 *   <li>SelfSubjectAccessReviews, allowed unless a verb was {@linkplain #deny denied};
 *   <li>a log of every write request with the client's user agent (to prove who wrote).
 * </ul>
 *
 * One per test class (informers of different tests use different namespaces); close it after.
 */
public final class MockCluster implements AutoCloseable {

  private static final Pattern SCALE =
      Pattern.compile("(/apis/apps/v1/namespaces/[^/]+/deployments/[^/?]+)/scale(\\?.*)?");

  /** A write request: method, path (no query) and the client's user agent. */
  record Write(String method, String path, String userAgent) {}

  private final ObjectMapper json = new ObjectMapper();
  private final Set<String> denied = ConcurrentHashMap.newKeySet();
  private final List<Write> writes = new CopyOnWriteArrayList<>();
  private final KubernetesMockServer server;

  /** Starts the mock API server. */
  public MockCluster() {
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new Dispatcher(), false);
    server.init();
  }

  /** A client with user agent {@code name}, so that its writes can be told apart. */
  public KubernetesClient client(String name) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(server.url("/"))
            .withTrustCerts(true)
            .withHttp2Disable(true)
            .withNamespace("default")
            .withUserAgent(name)
            .withRequestRetryBackoffLimit(0)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** Makes SelfSubjectAccessReviews for {@code verb} answer "not allowed". */
  void deny(String verb) {
    denied.add(verb);
  }

  /** Every write so far. */
  List<Write> writes() {
    return List.copyOf(writes);
  }

  /** Writes by the client named {@code userAgent}. */
  List<Write> writesBy(String userAgent) {
    return writes.stream().filter(w -> userAgent.equals(w.userAgent())).toList();
  }

  /** Requests to {@code deployments/<name>/scale} in {@code namespace}. */
  List<Write> scaleWrites(String namespace, String name) {
    String path = "/apis/apps/v1/namespaces/" + namespace + "/deployments/" + name + "/scale";
    return writes.stream().filter(w -> w.path().equals(path)).toList();
  }

  @Override
  public void close() {
    server.destroy();
  }

  private final class Dispatcher extends KubernetesCrudDispatcher {

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String method = request.getMethod();
      if (!"GET".equals(method)) {
        String path = request.getPath();
        int q = path.indexOf('?');
        writes.add(
            new Write(
                method,
                q < 0 ? path : path.substring(0, q),
                String.valueOf(request.getHeader("User-Agent"))));
      }
      return super.dispatch(request);
    }

    @Override
    public MockResponse handleGet(String path) {
      Matcher m = SCALE.matcher(path);
      if (!m.matches()) {
        return super.handleGet(path);
      }
      MockResponse parent = super.handleGet(m.group(1));
      return parent.code() != 200 ? parent : scaleOf(parent);
    }

    @Override
    public MockResponse handleUpdate(RecordedRequest request) {
      Matcher m = SCALE.matcher(request.getPath());
      if (!m.matches()) {
        return super.handleUpdate(request);
      }
      try {
        JsonNode scale = json.readTree(request.getUtf8Body());
        MockResponse parent = super.handleGet(m.group(1));
        if (parent.code() != 200) {
          return parent;
        }
        String expected = scale.path("metadata").path("resourceVersion").asText("");
        String actual =
            json.readTree(body(parent)).path("metadata").path("resourceVersion").asText();
        if (!expected.isEmpty() && !expected.equals(actual)) {
          return status(409, "Conflict", "the object has been modified");
        }
        return patchReplicas(m.group(1), scale.path("spec").path("replicas").asInt());
      } catch (java.io.IOException e) {
        return status(400, "BadRequest", e.getMessage());
      }
    }

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
      Matcher m = SCALE.matcher(request.getPath());
      if (!m.matches()) {
        return super.handlePatch(request);
      }
      try {
        JsonNode patch = json.readTree(request.getUtf8Body());
        return patchReplicas(m.group(1), patch.path("spec").path("replicas").asInt());
      } catch (java.io.IOException e) {
        return status(400, "BadRequest", e.getMessage());
      }
    }

    @Override
    public MockResponse handleCreate(RecordedRequest request) {
      if (!request.getPath().startsWith("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")) {
        return super.handleCreate(request);
      }
      try {
        ObjectNode review = (ObjectNode) json.readTree(request.getUtf8Body());
        String verb = review.path("spec").path("resourceAttributes").path("verb").asText();
        review.putObject("status").put("allowed", !denied.contains(verb));
        return new MockResponse().setResponseCode(201).setBody(json.writeValueAsString(review));
      } catch (java.io.IOException e) {
        return status(400, "BadRequest", e.getMessage());
      }
    }

    /** Sets the Deployment's replicas with a merge patch, answers with its Scale. */
    private MockResponse patchReplicas(String deploymentPath, int replicas) {
      String patch = "{\"spec\":{\"replicas\":" + replicas + "}}";
      MockResponse patched =
          super.handlePatch(
              new RecordedRequest(
                  "HTTP/1.1",
                  HttpMethod.PATCH,
                  deploymentPath,
                  Headers.builder().add("Content-Type", "application/merge-patch+json").build(),
                  new Buffer(patch.getBytes(StandardCharsets.UTF_8))));
      return patched.code() != 200 ? patched : scaleOf(patched);
    }

    private MockResponse scaleOf(MockResponse deployment) {
      try {
        JsonNode d = json.readTree(body(deployment));
        ObjectNode scale = json.createObjectNode();
        scale.put("apiVersion", "autoscaling/v1");
        scale.put("kind", "Scale");
        ObjectNode meta = scale.putObject("metadata");
        meta.put("name", d.path("metadata").path("name").asText());
        meta.put("namespace", d.path("metadata").path("namespace").asText());
        meta.put("resourceVersion", d.path("metadata").path("resourceVersion").asText());
        scale.putObject("spec").put("replicas", d.path("spec").path("replicas").asInt(1));
        scale.putObject("status").put("replicas", d.path("status").path("replicas").asInt(0));
        return new MockResponse().setResponseCode(200).setBody(json.writeValueAsString(scale));
      } catch (java.io.IOException e) {
        return status(500, "InternalError", e.getMessage());
      }
    }

    private String body(MockResponse r) {
      return new String(r.getBody().getBytes(), StandardCharsets.UTF_8);
    }

    private MockResponse status(int code, String reason, String message) {
      ObjectNode s = json.createObjectNode();
      s.put("apiVersion", "v1");
      s.put("kind", "Status");
      s.put("status", "Failure");
      s.put("code", code);
      s.put("reason", reason);
      s.put("message", message);
      return new MockResponse().setResponseCode(code).setBody(s.toString());
    }
  }
}
