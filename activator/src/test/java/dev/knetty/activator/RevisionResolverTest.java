package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.http.KnativeHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RevisionResolverTest {

  private static final RevisionKey HELLO = RevisionKey.parse("default/hello-00001");
  private final RevisionResolver resolver = RevisionResolver.knative("cluster.local");

  private static HttpRequest request(String host) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    if (host != null) {
      r.headers().set(HttpHeaderNames.HOST, host);
    }
    return r;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "hello-00001.default",
        "hello-00001.default:8012",
        "hello-00001.default.svc",
        "hello-00001.default.svc:80",
        "hello-00001.default.svc.cluster.local",
        "hello-00001.default.svc.cluster.local:8012",
        "hello-00001.default.svc.cluster.local.",
        "Hello-00001.Default.SVC.cluster.local"
      })
  void everyHostForm(String host) {
    assertThat(resolver.resolve(request(host))).isEqualTo(HELLO);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "hello-00001",
        "hello-00001:8012",
        "hello-00001.default.svc.other.domain",
        "hello-00001.default.example.com",
        "[::1]:8012",
        "10.0.0.1",
        ".default",
        "hello_1.default",
        ""
      })
  void hostsThatNameNoRevision(String host) {
    assertThat(resolver.resolve(request(host))).isNull();
  }

  @Test
  void noHostNoRevision() {
    assertThat(resolver.resolve(request(null))).isNull();
  }

  @Test
  void knettyHeadersWinOverKnativeHeadersAndTheHost() {
    HttpRequest r = request("other.ns");
    r.headers()
        .set(KnativeHeaders.SERVING_REVISION, "knative-rev")
        .set(KnativeHeaders.SERVING_NAMESPACE, "ns")
        .set(KnativeHeaders.KNETTY_REVISION, "hello-00001")
        .set(KnativeHeaders.KNETTY_NAMESPACE, "default");
    assertThat(resolver.resolve(r)).isEqualTo(HELLO);
  }

  @Test
  void knativeHeadersWinOverTheHost() {
    HttpRequest r = request("other.ns");
    r.headers()
        .set("Knative-Serving-Revision", "hello-00001")
        .set("Knative-Serving-Namespace", "default");
    assertThat(resolver.resolve(r)).isEqualTo(HELLO);
  }

  @Test
  void anIncompleteHeaderPairFallsThroughToTheHost() {
    HttpRequest r = request("hello-00001.default");
    r.headers().set(KnativeHeaders.KNETTY_REVISION, "something-else");
    assertThat(resolver.resolve(r)).isEqualTo(HELLO);
  }

  @Test
  void anotherClusterDomain() {
    RevisionResolver custom = RevisionResolver.knative("corp.internal");
    assertThat(custom.resolve(request("hello-00001.default.svc.corp.internal"))).isEqualTo(HELLO);
    assertThat(custom.resolve(request("hello-00001.default.svc.cluster.local"))).isNull();
  }

  @Test
  void aFallbackPlacesWhatTheResolverCannot() {
    RevisionResolver local =
        resolver.orElse(r -> new RevisionKey("default", r.headers().get(HttpHeaderNames.HOST)));
    assertThat(local.resolve(request("hello-00001"))).isEqualTo(HELLO);
    assertThat(local.resolve(request("hello-00001.default.svc"))).isEqualTo(HELLO);
  }
}
