package dev.knetty.bench.sampleapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.knetty.bench.testing.H2cClient;
import dev.knetty.common.net.Transport;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SampleAppTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern SLEPT = Pattern.compile("Slept for (\\d+\\.\\d{2}) milliseconds\\.");

  enum Protocol {
    HTTP_1_1,
    H2C_UPGRADE,
    H2C_PRIOR_KNOWLEDGE
  }

  private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
  private SampleApp app;
  private int port;

  @AfterEach
  void tearDown() throws Exception {
    while (!closeables.isEmpty()) {
      closeables.pop().close();
    }
  }

  private static SampleAppConfig.Builder config() {
    return SampleAppConfig.builder()
        .host("127.0.0.1")
        .port(0)
        .ioThreads(1)
        .shutdownGrace(Duration.ofSeconds(1));
  }

  private void start(SampleApp sampleApp) throws InterruptedException {
    app = sampleApp;
    closeables.push(app);
    port = app.start();
  }

  private void start() throws InterruptedException {
    start(new SampleApp(config().build()));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static HttpClient jdkClient(Protocol protocol) {
    return HttpClient.newBuilder()
        .version(
            protocol == Protocol.HTTP_1_1 ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2)
        .connectTimeout(TIMEOUT)
        .build();
  }

  private CompletableFuture<H2cClient.Response> getAsync(Protocol protocol, String path)
      throws InterruptedException {
    if (protocol == Protocol.H2C_PRIOR_KNOWLEDGE) {
      H2cClient client = new H2cClient(port);
      closeables.push(client);
      return client.get(path);
    }
    HttpClient.Version expected =
        protocol == Protocol.HTTP_1_1 ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2;
    return jdkClient(protocol)
        .sendAsync(
            HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT).build(),
            HttpResponse.BodyHandlers.ofString())
        .thenApply(
            r -> {
              assertThat(r.version()).isEqualTo(expected);
              return new H2cClient.Response(
                  r.statusCode(), r.body(), r.headers().firstValue("content-type").orElse(null));
            });
  }

  private H2cClient.Response get(Protocol protocol, String path) throws Exception {
    return getAsync(protocol, path).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void rootWithoutParametersSaysHelloWorld(Protocol protocol) throws Exception {
    start();
    H2cClient.Response response = get(protocol, "/");
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("Hello World!\n");
    assertThat(response.contentType()).isEqualTo("text/plain; charset=utf-8");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void sleepsAtLeastAsLongAsAsked(Protocol protocol) throws Exception {
    start();
    H2cClient.Response response = get(protocol, "/?sleep=20");
    assertThat(response.status()).isEqualTo(200);
    Matcher m = SLEPT.matcher(response.body());
    assertThat(m.find()).as(response.body()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isGreaterThanOrEqualTo(20.0);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void sleepAcceptsGoDurations(Protocol protocol) throws Exception {
    start();
    H2cClient.Response response = get(protocol, "/?sleep=0.02s");
    Matcher m = SLEPT.matcher(response.body());
    assertThat(m.find()).as(response.body()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isGreaterThanOrEqualTo(20.0);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void findsTheLargestPrimeBelowN(Protocol protocol) throws Exception {
    start();
    H2cClient.Response response = get(protocol, "/?prime=10000");
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("The largest prime less than 10000 is 9973.\n");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void allocatesMegabytes(Protocol protocol) throws Exception {
    start();
    H2cClient.Response response = get(protocol, "/?bloat=2");
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("Allocated 2 Mb of memory.\n");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void combinesTheWorkLikeKnativesImage(Protocol protocol) throws Exception {
    start();
    H2cClient.Response response = get(protocol, "/?sleep=5&prime=100&bloat=1");
    assertThat(response.status()).isEqualTo(200);
    String[] lines = response.body().split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[0]).isEqualTo("Allocated 1 Mb of memory.");
    assertThat(lines[1]).isEqualTo("The largest prime less than 100 is 97.");
    assertThat(lines[2]).matches(SLEPT);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void healthzAnswers200(Protocol protocol) throws Exception {
    start();
    assertThat(get(protocol, "/healthz").status()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void badParametersGet400NamingTheParameter(Protocol protocol) throws Exception {
    start();
    assertBadRequest(protocol, "/?sleep=abc", "sleep: abc");
    assertBadRequest(protocol, "/?sleep=-5", "sleep: -5");
    assertBadRequest(protocol, "/?sleep=10m", "sleep: 10m");
    assertBadRequest(protocol, "/?prime=-1", "prime: -1");
    assertBadRequest(protocol, "/?prime=x", "prime: x");
    assertBadRequest(protocol, "/?prime=40000001", "prime: 40000001");
    assertBadRequest(protocol, "/?bloat=100000", "bloat: 100000");
    assertBadRequest(protocol, "/sse?n=0", "n: 0");
    assertBadRequest(protocol, "/sse?interval=soon", "interval: soon");
  }

  private void assertBadRequest(Protocol protocol, String path, String named) throws Exception {
    H2cClient.Response response = get(protocol, path);
    assertThat(response.status()).as(path).isEqualTo(400);
    assertThat(response.body()).as(path).startsWith(named).endsWith("\n");
  }

  @Test
  void websocketOverHttp2GetsA400() throws Exception {
    start();
    H2cClient.Response response = get(Protocol.H2C_PRIOR_KNOWLEDGE, "/ws");
    assertThat(response.status()).isEqualTo(400);
    assertThat(response.body()).startsWith("ws: expected a websocket upgrade");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void streamsServerSentEvents(Protocol protocol) throws Exception {
    start();
    H2cClient.Response response = get(protocol, "/sse?n=3&interval=1");
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.contentType()).isEqualTo("text/event-stream");
    assertThat(response.body())
        .isEqualTo(
            "id: 1\ndata: event 1 of 3\n\n"
                + "id: 2\ndata: event 2 of 3\n\n"
                + "id: 3\ndata: event 3 of 3\n\n");
  }

  /**
   * The first event arrives while the stream is still open (the next event is a minute away), and a
   * client that goes away ends the stream on the server.
   */
  @ParameterizedTest
  @EnumSource(
      value = Protocol.class,
      names = {"HTTP_1_1", "H2C_UPGRADE"})
  void serverSentEventsArriveIncrementally(Protocol protocol) throws Exception {
    start();
    HttpResponse<Stream<String>> response =
        jdkClient(protocol)
            .send(
                HttpRequest.newBuilder(uri("/sse?n=2&interval=60000")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofLines());
    try (Stream<String> lines = response.body()) {
      Iterator<String> it = lines.iterator();
      assertThat(it.next()).isEqualTo("id: 1");
      assertThat(it.next()).isEqualTo("data: event 1 of 2");
      assertThat(it.next()).isEmpty();
      assertThat(app.inFlight()).isEqualTo(1);
    }
    await().atMost(TIMEOUT).until(() -> app.inFlight() == 0);
  }

  @Test
  void serverSentEventsArriveIncrementallyOverPriorKnowledge() throws Exception {
    start();
    H2cClient client = new H2cClient(port);
    closeables.push(client);
    BlockingQueue<String> pieces = new LinkedBlockingQueue<>();
    Http2StreamChannel stream = client.stream("/sse?n=2&interval=60000", pieces);
    assertThat(pieces.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        .isEqualTo("id: 1\ndata: event 1 of 2\n\n");
    assertThat(app.inFlight()).isEqualTo(1);
    stream.close().sync(); // RST_STREAM
    await().atMost(TIMEOUT).until(() -> app.inFlight() == 0);
    assertThat(pieces).isEmpty();
  }

  @Test
  void websocketEchoesTextAndBinary() throws Exception {
    start();
    BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          private final StringBuilder text = new StringBuilder();
          private ByteBuffer binary = ByteBuffer.allocate(0);

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              received.add(text.toString());
              text.setLength(0);
            }
            ws.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            ByteBuffer joined = ByteBuffer.allocate(binary.remaining() + data.remaining());
            joined.put(binary).put(data).flip();
            binary = joined;
            if (last) {
              byte[] bytes = new byte[binary.remaining()];
              binary.get(bytes);
              received.add(bytes);
              binary = ByteBuffer.allocate(0);
            }
            ws.request(1);
            return null;
          }
        };
    WebSocket ws =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .connectTimeout(TIMEOUT)
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), listener)
            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    try {
      ws.sendText("hello, knetty", true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertThat(received.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("hello, knetty");
      byte[] payload = {0, 1, 2, (byte) 0xff, 42};
      ws.sendBinary(ByteBuffer.wrap(payload), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertThat(received.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(payload);
    } finally {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /** With one event loop, a sleeping request must not hold up another connection's request. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void sleepDoesNotBlockOtherRequests(Protocol protocol) throws Exception {
    start();
    CompletableFuture<H2cClient.Response> sleeping = getAsync(protocol, "/?sleep=60000");
    await().atMost(TIMEOUT).until(() -> app.inFlight() == 1);
    assertThat(get(protocol, "/").body()).isEqualTo("Hello World!\n");
    assertThat(sleeping).isNotDone();
  }

  /** CPU work runs on the work executor: while it is held up, the event loop still answers. */
  @Test
  void primeRunsOffTheEventLoop() throws Exception {
    ExecutorService work = boundedExecutor(1, 8);
    CountDownLatch release = new CountDownLatch(1);
    work.execute(() -> awaitQuietly(release));
    start(new SampleApp(config().build(), Transport.fromEnvironment(), work));
    CompletableFuture<H2cClient.Response> prime = getAsync(Protocol.HTTP_1_1, "/?prime=1000");
    await().atMost(TIMEOUT).until(() -> app.inFlight() == 1);
    assertThat(get(Protocol.HTTP_1_1, "/").status()).isEqualTo(200);
    assertThat(prime).isNotDone();
    release.countDown();
    assertThat(prime.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).body())
        .isEqualTo("The largest prime less than 1000 is 997.\n");
  }

  @Test
  void fullWorkQueueGets503() throws Exception {
    ExecutorService work = boundedExecutor(1, 1);
    CountDownLatch release = new CountDownLatch(1);
    work.execute(() -> awaitQuietly(release)); // occupies the thread
    work.execute(() -> awaitQuietly(release)); // fills the queue
    start(new SampleApp(config().build(), Transport.fromEnvironment(), work));
    try {
      H2cClient.Response response = get(Protocol.HTTP_1_1, "/?bloat=1");
      assertThat(response.status()).isEqualTo(503);
      assertThat(response.body()).startsWith("bloat: too many requests wait for CPU");
    } finally {
      release.countDown();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Protocol.class,
      names = {"HTTP_1_1", "H2C_PRIOR_KNOWLEDGE"})
  void closeLetsRequestsInFlightFinishThenRefusesConnections(Protocol protocol) throws Exception {
    start(new SampleApp(config().shutdownGrace(TIMEOUT).build()));
    CompletableFuture<H2cClient.Response> sleeping = getAsync(protocol, "/?sleep=300");
    await().atMost(TIMEOUT).until(() -> app.inFlight() == 1);
    CompletableFuture<Void> closed = CompletableFuture.runAsync(app::close);
    H2cClient.Response response = sleeping.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).matches(SLEPT.pattern() + "\n");
    closed.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void startTwiceIsRefused() throws Exception {
    start();
    assertThatThrownBy(app::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already started");
  }

  private ExecutorService boundedExecutor(int threads, int queue) {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue));
    closeables.push(executor::shutdownNow);
    return executor;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
