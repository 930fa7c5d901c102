package dev.knetty.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.net.Transport;
import dev.knetty.common.testing.RawHttp;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin server over loopback: routing, keep-alive, async handlers, bad input, shutdown. */
class AdminHttpServerTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final Transport transport = Transport.select(Transport.Kind.AUTO);
  private final List<AdminHttpServer> servers = new ArrayList<>();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(WAIT).build();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private EventLoopGroup group;

  /** Handlers that answer later: the test completes them. */
  private final ConcurrentLinkedQueue<CompletableFuture<FullHttpResponse>> parked =
      new ConcurrentLinkedQueue<>();

  @BeforeEach
  void setUp() {
    group = transport.newEventLoopGroup(2, "admin-test");
  }

  @AfterEach
  void tearDown() {
    servers.forEach(AdminHttpServer::close);
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private AdminHttpServer.Builder builder(AdminHttpServerConfig config) {
    return AdminHttpServer.builder(config)
        .name("test-admin")
        .eventLoops(transport, group)
        .meterRegistry(meters)
        .get("/hello", r -> ok(r, "hello " + r.queryParameter("name")))
        .route(
            HttpMethod.POST, "/echo", r -> ok(r, r.bodyUtf8() + " " + r.queryParameters().get("x")))
        .get("/slow", parking())
        .get(
            "/thread",
            r -> ok(r, r.eventLoop().inEventLoop() + " " + Thread.currentThread().getName()))
        .get("/peer", r -> ok(r, r.remoteAddress().toString()))
        .get(
            "/throws",
            r -> {
              throw new IllegalStateException("handler bug");
            })
        .get("/fails", r -> CompletableFuture.failedFuture(new IllegalStateException("async bug")))
        .get("/null", r -> null);
  }

  /** A handler that answers when the test completes its future (see {@link #awaitParked()}). */
  private AdminHandler parking() {
    return r -> {
      CompletableFuture<FullHttpResponse> later = new CompletableFuture<>();
      parked.add(later);
      return later;
    };
  }

  /** A server on the test's loops with no routes yet. */
  private AdminHttpServer.Builder bare() {
    return AdminHttpServer.builder(AdminHttpServerConfig.of("127.0.0.1", 0))
        .eventLoops(transport, group);
  }

  private int start(AdminHttpServer.Builder builder) {
    AdminHttpServer server = builder.build();
    servers.add(server);
    return server.start();
  }

  private int start() {
    return start(builder(AdminHttpServerConfig.of("127.0.0.1", 0)));
  }

  private static CompletableFuture<FullHttpResponse> ok(AdminRequest r, String body) {
    return CompletableFuture.completedFuture(
        TextResponses.of(r.alloc(), HttpResponseStatus.OK, body));
  }

  /** A response built off the event loop, as a handler completing elsewhere would. */
  private static FullHttpResponse late(String body) {
    return TextResponses.of(PooledByteBufAllocator.DEFAULT, HttpResponseStatus.OK, body);
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT).build(),
        BodyHandlers.ofString());
  }

  private HttpResponse<String> post(int port, String path, String body) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(WAIT)
            .POST(BodyPublishers.ofString(body))
            .build(),
        BodyHandlers.ofString());
  }

  private CompletableFuture<FullHttpResponse> awaitParked() {
    await().atMost(WAIT).until(() -> !parked.isEmpty());
    return parked.poll();
  }

  private double rejected(String reason) {
    return meters.counter(AdminRejections.METER, "server", "test-admin", "reason", reason).count();
  }

  @Test
  void servesARouteWithQueryParametersOverOneKeptAliveConnection() throws Exception {
    int port = start();
    HttpResponse<String> first = get(port, "/hello?name=knetty");
    HttpResponse<String> again = get(port, "/peer");
    HttpResponse<String> third = get(port, "/peer");

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("hello knetty\n");
    assertThat(first.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    assertThat(again.body()).isEqualTo(third.body()); // same client port: same connection
  }

  @Test
  void handlersRunOnTheConnectionsEventLoop() throws Exception {
    int port = start();
    assertThat(get(port, "/thread").body()).startsWith("true admin-test");
  }

  @Test
  void unknownPathIs404AsGoAnswersIt() throws Exception {
    int port = start();
    HttpResponse<String> r = get(port, "/nope");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).isEqualTo("404 page not found\n");
    assertThat(r.headers().firstValue("x-content-type-options")).hasValue("nosniff");
    assertThat(rejected("not_found")).isEqualTo(1);
  }

  @Test
  void wrongMethodIs405WithAllow() throws Exception {
    int port = start();
    HttpResponse<String> post = post(port, "/hello", "x");
    HttpResponse<String> get = get(port, "/echo");

    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    assertThat(post.body()).isEqualTo("Method Not Allowed\n");
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("allow")).hasValue("POST");
    assertThat(rejected("method_not_allowed")).isEqualTo(2);
  }

  @Test
  void prefixRoutesMatchLongerPathsAndExactRoutesWin() throws Exception {
    int port =
        start(
            bare()
                .get("/items", r -> ok(r, "all"))
                .get("/items/*", r -> ok(r, "one " + r.path()))
                .get("/items/special/*", r -> ok(r, "special " + r.path()))
                .get("/items/fixed", r -> ok(r, "fixed")));

    assertThat(get(port, "/items").body()).isEqualTo("all\n");
    assertThat(get(port, "/items/ns/name").body()).isEqualTo("one /items/ns/name\n");
    assertThat(get(port, "/items/special/x").body()).isEqualTo("special /items/special/x\n");
    assertThat(get(port, "/items/fixed").body()).isEqualTo("fixed\n");
    assertThat(get(port, "/itemsx").statusCode()).isEqualTo(404);
    HttpResponse<String> post = post(port, "/items/ns/name", "x");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
  }

  @Test
  void postBodyAndQueryReachTheHandler() throws Exception {
    int port = start();
    HttpResponse<String> r = post(port, "/echo?x=1&x=2", "payload");
    assertThat(r.body()).isEqualTo("payload [1, 2]\n");
  }

  @Test
  void headIsServedByTheGetHandlerWithoutABody() throws Exception {
    int port = start();
    try (RawHttp raw = new RawHttp(port)) {
      // Pipelined: a body after the HEAD response would corrupt the GET response.
      raw.write(
          "HEAD /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\nGET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Response head = raw.readHead();
      RawHttp.Response get = raw.read();

      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("content-length")).isEqualTo("8");
      assertThat(get.status()).isEqualTo(200);
      assertThat(get.body()).isEqualTo("hello a\n");
    }
  }

  @Test
  void asyncHandlerAnswersWhenItsStageCompletesOnAnotherThread() throws Exception {
    int port = start();
    CompletableFuture<HttpResponse<String>> pending =
        client.sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
            BodyHandlers.ofString());
    CompletableFuture<FullHttpResponse> handler = awaitParked();
    assertThat(pending).isNotDone();

    handler.complete(late("late"));

    HttpResponse<String> r = pending.get(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("late\n");
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderOneAtATime() throws Exception {
    AtomicBoolean helloRan = new AtomicBoolean();
    int port =
        start(
            bare()
                .get("/slow", parking())
                .get(
                    "/hello",
                    r -> {
                      helloRan.set(true);
                      return ok(r, "fast");
                    }));
    try (RawHttp raw = new RawHttp(port)) {
      raw.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
      CompletableFuture<FullHttpResponse> slow = awaitParked();
      assertThat(helloRan).as("second request waits for the first").isFalse();

      slow.complete(late("slow"));

      assertThat(raw.read().body()).isEqualTo("slow\n");
      assertThat(raw.read().body()).isEqualTo("fast\n");
    }
  }

  @Test
  void failingHandlersGet500AndTheConnectionStaysUsable() throws Exception {
    int port = start();
    for (String path : List.of("/throws", "/fails", "/null")) {
      HttpResponse<String> r = get(port, path);
      assertThat(r.statusCode()).as(path).isEqualTo(500);
      assertThat(r.body()).isEqualTo("Internal Server Error\n");
    }
    assertThat(get(port, "/hello?name=b").body()).isEqualTo("hello b\n");
    assertThat(rejected("handler_failed")).isEqualTo(3);
  }

  @Test
  void tooLargeBodyIs413AndCloses() throws Exception {
    int port =
        start(
            builder(
                new AdminHttpServerConfig(
                    "127.0.0.1", 0, 1024, Duration.ofSeconds(60), Duration.ofSeconds(5))));
    try (RawHttp raw = new RawHttp(port)) {
      raw.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
      RawHttp.Response r = raw.read();
      assertThat(r.status()).isEqualTo(413);
      assertThat(r.body()).isEqualTo("Request Entity Too Large\n");
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(raw.closedByPeer()).isTrue();
    }
    try (RawHttp raw = new RawHttp(port)) {
      raw.write(
          "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "400\r\n"
              + "a".repeat(1024)
              + "\r\n400\r\n"
              + "b".repeat(1024)
              + "\r\n0\r\n\r\n");
      assertThat(raw.read().status()).isEqualTo(413);
      assertThat(raw.closedByPeer()).isTrue();
    }
    assertThat(rejected("body_too_large")).isEqualTo(2);
  }

  @Test
  void malformedRequestIs400AndCloses() throws Exception {
    int port = start();
    try (RawHttp raw = new RawHttp(port)) {
      raw.write("GET /hello HTTP/9.Z\r\nHost: x\r\n\r\n");
      RawHttp.Response r = raw.read();
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).startsWith("Bad Request: ");
      assertThat(raw.closedByPeer()).isTrue();
    }
    try (RawHttp raw = new RawHttp(port)) {
      raw.write("GET /hello?name=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Response r = raw.read();
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).startsWith("Bad Request: ").contains("%zz");
      assertThat(raw.closedByPeer()).isTrue();
    }
    assertThat(rejected("bad_request")).isEqualTo(2);
  }

  @Test
  void oversizedHeadersAre431AndLongLines414() throws Exception {
    int port = start();
    try (RawHttp raw = new RawHttp(port)) {
      raw.write("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + "h".repeat(20_000) + "\r\n\r\n");
      assertThat(raw.read().status()).isEqualTo(431);
      assertThat(raw.closedByPeer()).isTrue();
    }
    try (RawHttp raw = new RawHttp(port)) {
      raw.write("GET /" + "u".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(raw.read().status()).isEqualTo(414);
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  @Test
  void http10WithoutKeepAliveIsClosedAfterTheResponse() throws Exception {
    int port = start();
    try (RawHttp raw = new RawHttp(port)) {
      raw.write("GET /hello?name=old HTTP/1.0\r\n\r\n");
      assertThat(raw.read().body()).isEqualTo("hello old\n");
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  @Test
  void idleConnectionsAreClosed() throws Exception {
    int port =
        start(
            builder(
                new AdminHttpServerConfig(
                    "127.0.0.1", 0, 1024, Duration.ofMillis(200), Duration.ofSeconds(5))));
    try (RawHttp raw = new RawHttp(port)) {
      assertThat(raw.closedByPeer()).isTrue(); // blocks until the idle close (or 30 s)
    }
  }

  @Test
  void closeLetsTheRequestInProgressFinishAndRefusesNewConnections() throws Exception {
    AdminHttpServer server = builder(AdminHttpServerConfig.of("127.0.0.1", 0)).build();
    servers.add(server);
    int port = server.start();
    try (RawHttp raw = new RawHttp(port);
        RawHttp idle = new RawHttp(port)) {
      raw.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      CompletableFuture<FullHttpResponse> slow = awaitParked();

      CompletableFuture<Void> closed = server.closeAsync();
      assertThat(idle.closedByPeer()).as("idle connection closed at once").isTrue();
      await().atMost(WAIT).untilAsserted(() -> assertThat(refused(port)).isTrue());
      assertThat(closed).isNotDone();

      slow.complete(late("done"));
      RawHttp.Response r = raw.read();
      assertThat(r.body()).isEqualTo("done\n");
      assertThat(r.header("connection")).isEqualTo("close");
      assertThat(raw.closedByPeer()).isTrue();
      closed.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void closeGivesUpOnStuckRequestsAfterTheShutdownTimeout() throws Exception {
    AdminHttpServer server =
        builder(
                new AdminHttpServerConfig(
                    "127.0.0.1", 0, 1024, Duration.ofSeconds(60), Duration.ofMillis(100)))
            .build();
    servers.add(server);
    int port = server.start();
    try (RawHttp raw = new RawHttp(port)) {
      raw.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      CompletableFuture<FullHttpResponse> stuck = awaitParked();

      server.close();

      assertThat(raw.closedByPeer()).isTrue();
      // The answer arrives after the connection is gone: released, not leaked.
      stuck.complete(late("late"));
    }
  }

  private static boolean refused(int port) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
      return false;
    } catch (ConnectException e) {
      return true;
    } finally {
      s.close();
    }
  }

  @Test
  void bindFailureNamesTheAddress() {
    int port = start();
    AdminHttpServer second = builder(AdminHttpServerConfig.of("127.0.0.1", port)).build();
    servers.add(second);
    assertThatThrownBy(second::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot listen on 127.0.0.1:" + port);
  }

  @Test
  void startTwiceIsRejected() {
    AdminHttpServer server = builder(AdminHttpServerConfig.of("127.0.0.1", 0)).build();
    servers.add(server);
    server.start();
    assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void builderAndConfigValidateTheirInput() {
    AdminHttpServer.Builder b = AdminHttpServer.builder(AdminHttpServerConfig.of("127.0.0.1", 0));
    AdminHandler h = r -> null;
    b.get("/a", h);
    assertThatThrownBy(() -> b.get("/a", h))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("route: GET /a (expected: not routed yet)");
    assertThatThrownBy(() -> b.get("a", h))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path: 'a' (expected: starts with /)");
    assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class);

    assertThatThrownBy(() -> AdminHttpServerConfig.of("127.0.0.1", 70000))
        .hasMessage("port: 70000 (expected: 0-65535)");
    assertThatThrownBy(() -> AdminHttpServerConfig.of(" ", 1))
        .hasMessage("host: ' ' (expected: an address or name)");
    assertThatThrownBy(
            () ->
                new AdminHttpServerConfig("h", 1, 0, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .hasMessage("maxContentLength: 0 (expected: > 0)");
    assertThatThrownBy(
            () -> new AdminHttpServerConfig("h", 1, 1, Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessage("idleTimeout: PT0S (expected: > 0)");
    assertThatThrownBy(
            () ->
                new AdminHttpServerConfig("h", 1, 1, Duration.ofSeconds(1), Duration.ofSeconds(-1)))
        .hasMessage("shutdownTimeout: PT-1S (expected: >= 0)");
  }

  @Test
  void aWaitingHandlerDoesNotHoldTheEventLoop() throws Exception {
    // One event loop: a parked request must not stop another connection from being served.
    EventLoopGroup single = transport.newEventLoopGroup(1, "admin-single");
    AdminHttpServer server =
        AdminHttpServer.builder(AdminHttpServerConfig.of("127.0.0.1", 0))
            .eventLoops(transport, single)
            .get("/slow", parking())
            .get("/hello", r -> ok(r, "still here"))
            .build();
    try {
      int port = server.start();
      CompletableFuture<HttpResponse<String>> slow =
          client.sendAsync(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
              BodyHandlers.ofString());
      CompletableFuture<FullHttpResponse> parkedSlow = awaitParked();
      try (RawHttp other = new RawHttp(port)) {
        other.write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(other.read().body()).isEqualTo("still here\n");
      }
      parkedSlow.complete(late("ok"));
      assertThat(slow.get(30, TimeUnit.SECONDS).body()).isEqualTo("ok\n");
    } finally {
      server.close();
      single.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void requestHeadersReachTheHandler() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    int port =
        start(
            bare()
                .get(
                    "/h",
                    r -> {
                      seen.set(r.headers().get(HttpHeaderNames.ACCEPT));
                      return ok(r, "");
                    }));
    client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/h"))
            .header("Accept", "text/x-test")
            .build(),
        BodyHandlers.discarding());
    assertThat(seen.get()).isEqualTo("text/x-test");
  }
}
