package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.H2cClient;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** h2c in (prior knowledge and Upgrade), h2c out, multiplexed; GOAWAY on drain. */
class ProxyH2Test extends ProxyTestSupport {

  private final io.netty.channel.EventLoopGroup clientGroup =
      closeLater(new GroupCloser(transport.newEventLoopGroup(1, "test-h2-client"))).group;

  @Test
  void priorKnowledgeStreamsShareOneUpstreamH2cConnection() throws Exception {
    TestOrigin origin =
        origin(TestOrigin.h2c(originGroup, req -> TestOrigin.text("h2 " + req.uri())));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);
    H2cClient client = closeLater(new H2cClient(clientGroup, proxyPort));

    List<CompletableFuture<H2cClient.Response>> responses = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      responses.add(client.send(get("/" + i)));
    }

    for (int i = 0; i < 8; i++) {
      H2cClient.Response r = responses.get(i).get(30, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("h2 /" + i);
    }
    assertThat(origin.accepted.get()).isEqualTo(1);
    assertThat(origin.requests).hasSize(8);
    assertThat(policy.exchanges).allMatch(ex -> ex.protocol() == ProxyExchange.Protocol.H2C);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 8);
    assertThat(policy.outcomes).allMatch(o -> o.kind() == ExchangeOutcome.Kind.PROXIED);
  }

  @Test
  void aBurstOnAFreshUpstreamConnectionRespectsTheServersStreamLimit() throws Exception {
    // Netty's servers allow 100 concurrent streams by default, and answer more than 200 refused
    // streams within 30 s with GOAWAY ENHANCE_YOUR_CALM.
    TestOrigin origin =
        origin(TestOrigin.h2c(originGroup, req -> TestOrigin.text("h2 " + req.uri())));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    // Hold every request, then let all go at once (as an activator does when a pod appears), on
    // one event loop: they all wait for the same new upstream connection.
    policy.onRequest = ex -> {};
    startProxy(policy, c -> c, 1);
    H2cClient a = closeLater(new H2cClient(clientGroup, proxyPort));
    H2cClient b = closeLater(new H2cClient(clientGroup, proxyPort));
    List<CompletableFuture<H2cClient.Response>> responses = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      responses.add((i % 2 == 0 ? a : b).send(get("/" + i)));
    }
    await().atMost(WAIT).until(() -> policy.exchanges.size() == 400);
    ProxyExchange first = policy.exchanges.peek();
    first
        .eventLoop()
        .submit(() -> policy.exchanges.forEach(ex -> ex.forward(origin.target())))
        .syncUninterruptibly();

    for (int i = 0; i < 400; i++) {
      H2cClient.Response r = responses.get(i).get(60, TimeUnit.SECONDS);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("h2 /" + i);
    }
  }

  @Test
  void anH2RequestBodyIsForwarded() throws Exception {
    TestOrigin origin =
        origin(
            TestOrigin.h2c(
                originGroup, req -> TestOrigin.text("got " + req.content().readableBytes())));
    startProxy(new RecordingPolicy(origin.target()));
    H2cClient client = closeLater(new H2cClient(clientGroup, proxyPort));
    FullHttpRequest post =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.POST,
            "/post",
            Unpooled.wrappedBuffer(new byte[3 * 1024 * 1024]));
    post.headers().set("host", "test").setInt("content-length", 3 * 1024 * 1024);

    H2cClient.Response r = client.send(post).get(30, TimeUnit.SECONDS);

    assertThat(r.body()).isEqualTo("got " + 3 * 1024 * 1024);
  }

  @Test
  void responseTrailersReachTheClientLikeGrpcStatus() throws Exception {
    TestOrigin origin =
        origin(
            TestOrigin.h2c(
                originGroup,
                req -> {
                  io.netty.handler.codec.http.FullHttpResponse r = TestOrigin.text("payload");
                  r.headers().remove("content-length");
                  r.trailingHeaders().set("grpc-status", "0");
                  return r;
                }));
    startProxy(new RecordingPolicy(origin.target()));
    H2cClient client = closeLater(new H2cClient(clientGroup, proxyPort));
    FullHttpRequest post = get("/pkg.Service/Method");
    post.setMethod(HttpMethod.POST);
    post.headers().set("te", "trailers").set("content-type", "application/grpc");

    H2cClient.Response r = client.send(post).get(30, TimeUnit.SECONDS);

    assertThat(r.body()).isEqualTo("payload");
    assertThat(r.trailers().get("grpc-status")).isEqualTo("0");
    TestOrigin.Recorded seen = origin.requests.take();
    assertThat(seen.headers().get("te")).isEqualTo("trailers");
  }

  @Test
  void theJdkClientUpgradesToH2c() throws Exception {
    TestOrigin origin =
        origin(TestOrigin.h2c(originGroup, req -> TestOrigin.text("upgraded " + req.uri())));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);
    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

    HttpResponse<String> first =
        h2.send(HttpRequest.newBuilder(uri("/one")).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> second =
        h2.send(HttpRequest.newBuilder(uri("/two")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(first.body()).isEqualTo("upgraded /one");
    assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(second.body()).isEqualTo("upgraded /two");
    assertThat(policy.exchanges).allMatch(ex -> ex.protocol() == ProxyExchange.Protocol.H2C);
  }

  @Test
  void drainSendsGoAwayAndLetsTheStreamInFlightFinish() throws Exception {
    TestOrigin origin = origin(TestOrigin.h2c(originGroup, req -> TestOrigin.text("late")));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    policy.onRequest = ex -> {}; // hold it
    startProxy(policy);
    H2cClient client = closeLater(new H2cClient(clientGroup, proxyPort));

    CompletableFuture<H2cClient.Response> response = client.send(get("/slow"));
    ProxyExchange ex = policy.exchanges.poll(30, TimeUnit.SECONDS);
    proxy.startDrain();

    await().atMost(WAIT).until(client::goAwayReceived);
    assertThat(proxy.activeExchanges()).isEqualTo(1);
    CompletableFuture<Void> idle = proxy.whenIdle();
    assertThat(idle).isNotDone();
    ex.eventLoop().execute(() -> ex.forward(origin.target()));

    assertThat(response.get(30, TimeUnit.SECONDS).body()).isEqualTo("late");
    idle.get(30, TimeUnit.SECONDS);
    assertThat(proxy.activeExchanges()).isZero();
    await().atMost(WAIT).until(() -> !client.channel().isActive());
  }

  @Test
  void anH2ConnectionMadeWhileDrainingIsServedThenToldToGoAway() throws Exception {
    TestOrigin origin = origin(TestOrigin.h2c(originGroup, req -> TestOrigin.text("served")));
    startProxy(new RecordingPolicy(origin.target()));
    proxy.startDrain();
    H2cClient client = closeLater(new H2cClient(clientGroup, proxyPort));

    assertThat(client.send(get("/")).get(30, TimeUnit.SECONDS).body()).isEqualTo("served");
    await().atMost(WAIT).until(client::goAwayReceived);
    await().atMost(WAIT).until(() -> !client.channel().isActive());
  }

  static FullHttpRequest get(String path) {
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
    request.headers().set("host", "test");
    return request;
  }

  /** Shuts a client event loop group down with the test. */
  record GroupCloser(io.netty.channel.EventLoopGroup group) implements AutoCloseable {
    @Override
    public void close() {
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
