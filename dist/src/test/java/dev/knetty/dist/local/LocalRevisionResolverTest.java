package dev.knetty.dist.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.RevisionKey;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalRevisionResolverTest {

  private static final RevisionKey HELLO = new RevisionKey("default", "hello");
  private static final RevisionKey WORLD = new RevisionKey("team-a", "world");

  private final LocalRevisionResolver two =
      new LocalRevisionResolver(List.of(HELLO, WORLD), "cluster.local");
  private final LocalRevisionResolver one =
      new LocalRevisionResolver(List.of(HELLO), "cluster.local");

  @Test
  void routesByNameOrNameAndNamespace() {
    assertThat(two.resolve(host("hello"))).isEqualTo(HELLO);
    assertThat(two.resolve(host("hello:8080"))).isEqualTo(HELLO);
    assertThat(two.resolve(host("world.team-a"))).isEqualTo(WORLD);
    assertThat(two.resolve(host("world.team-a.svc.cluster.local"))).isEqualTo(WORLD);
    assertThat(two.resolve(host("world.localhost:8080"))).isEqualTo(WORLD);
    assertThat(two.resolve(host("world.team-a.localhost"))).isEqualTo(WORLD);
  }

  @Test
  void theOnlyRevisionTakesAnyOtherHost() {
    assertThat(one.resolve(host("localhost:8080"))).isEqualTo(HELLO);
    assertThat(one.resolve(host("127.0.0.1:8080"))).isEqualTo(HELLO);
    assertThat(one.resolve(new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/")))
        .isEqualTo(HELLO);
  }

  @Test
  void aHostNamingAnotherRevisionIsNotRedirected() {
    // The activator answers 404 naming it: a typo must not reach the wrong app.
    assertThat(one.resolve(host("other.localhost"))).isEqualTo(new RevisionKey("default", "other"));
    assertThat(two.resolve(host("localhost:8080"))).isNull();
  }

  @Test
  void headersWinOverTheHost() {
    HttpRequest request = host("hello");
    request.headers().set("Knetty-Revision", "world").set("Knetty-Namespace", "team-a");
    assertThat(two.resolve(request)).isEqualTo(WORLD);
  }

  private static HttpRequest host(String host) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    r.headers().set("Host", host);
    return r;
  }
}
