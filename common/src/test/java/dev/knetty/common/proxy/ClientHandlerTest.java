package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.knetty.common.net.PipelineNames;
import dev.knetty.common.net.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/1.1 server side of the engine on an {@link EmbeddedChannel}, with policies that answer
 * locally (no upstream): pipelining, body discarding, deterministic timeouts, exactly-once
 * outcomes.
 */
class ClientHandlerTest {

  private static final Duration TOTAL = Duration.ofSeconds(10);

  private final RecordingPolicy policy = new RecordingPolicy(null);
  private ProxyContext px;

  private EmbeddedChannel channel(UnaryOperator<ProxyServerConfig.Builder> config) {
    ProxyServerConfig cfg =
        config
            .apply(
                ProxyServerConfig.builder()
                    .defaultTimeouts(
                        new ExchangeTimeouts(
                            TOTAL, Duration.ZERO, Duration.ZERO, "request timeout")))
            .build();
    px = new ProxyContext(cfg, policy, Transport.select(Transport.Kind.NIO));
    HttpServerCodec codec = new HttpServerCodec();
    ConnectionTimeoutHandler timeouts =
        new ConnectionTimeoutHandler(cfg.headerReadTimeout(), cfg.keepAliveIdleTimeout());
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAutoRead(false);
    ch.pipeline()
        .addLast(PipelineNames.PROXY_CONNECTION_TIMEOUTS, timeouts)
        .addLast(codec)
        .addLast(PipelineNames.PROXY_FLOW_CONTROL, new FlowControlHandler())
        .addLast(PipelineNames.PROXY_CLIENT, new ClientHandler(px, codec, timeouts));
    return ch;
  }

  private static void send(EmbeddedChannel ch, String raw) {
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    ch.runPendingTasks();
  }

  private static String written(EmbeddedChannel ch) {
    StringBuilder out = new StringBuilder();
    ByteBuf b;
    while ((b = ch.readOutbound()) != null) {
      out.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return out.toString();
  }

  private static void advance(EmbeddedChannel ch, Duration d) {
    ch.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
    ch.runScheduledPendingTasks();
    ch.runPendingTasks();
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() {
    policy.onRequest = ex -> ex.respond(HttpResponseStatus.OK, "answer " + ex.request().uri());
    EmbeddedChannel ch = channel(b -> b);

    send(ch, "GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n");

    String out = written(ch);
    assertThat(out.indexOf("answer /a")).isPositive().isLessThan(out.indexOf("answer /b"));
    assertThat(policy.outcomes).hasSize(2).allMatch(ExchangeOutcome::localResponse);
    assertThat(ch.isOpen()).isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void anUnwantedBodyIsDiscardedBeforeTheNextRequest() {
    policy.onRequest =
        ex ->
            ex.respond(
                "POST".equals(ex.request().method().name())
                    ? HttpResponseStatus.FORBIDDEN
                    : HttpResponseStatus.OK,
                ex.request().uri());
    EmbeddedChannel ch = channel(b -> b);

    send(ch, "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n");
    String first = written(ch);
    send(ch, "0123456789GET /next HTTP/1.1\r\nHost: t\r\n\r\n");

    assertThat(first).startsWith("HTTP/1.1 403");
    assertThat(written(ch)).startsWith("HTTP/1.1 200").endsWith("/next\n");
    assertThat(policy.outcomes).hasSize(2);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void theTotalTimeoutWhileWaitingAnswers504AndCancelsOnce() {
    AtomicInteger cancelled = new AtomicInteger();
    policy.onRequest = ex -> ex.onCancel(cancelled::incrementAndGet);
    EmbeddedChannel ch = channel(b -> b);

    send(ch, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    advance(ch, TOTAL.minusMillis(1));
    assertThat(written(ch)).isEmpty();
    advance(ch, Duration.ofMillis(1));

    assertThat(written(ch)).startsWith("HTTP/1.1 504").endsWith("\r\n\r\nrequest timeout");
    assertThat(cancelled.get()).isEqualTo(1);
    assertThat(policy.outcomes).hasSize(1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.TIMEOUT);
    ProxyExchange ex = policy.exchanges.poll();
    assertThat(ex.isDone()).isTrue();
    assertThat(ex.respond(HttpResponseStatus.OK, "too late")).isFalse();
    assertThat(ex.forward(UpstreamTarget.of("127.0.0.1", 1))).isFalse();
    assertThat(policy.outcomes).hasSize(1);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void perExchangeTimeoutsCountFromArrival() {
    policy.onRequest = ex -> {};
    EmbeddedChannel ch = channel(b -> b);

    send(ch, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    advance(ch, Duration.ofSeconds(2));
    ProxyExchange ex = policy.exchanges.poll();
    // 3 s response-start from arrival: 1 s left.
    ex.timeouts(new ExchangeTimeouts(TOTAL, Duration.ofSeconds(3), Duration.ZERO, "late"));
    advance(ch, Duration.ofMillis(999));
    assertThat(written(ch)).isEmpty();
    advance(ch, Duration.ofMillis(1));

    assertThat(written(ch)).startsWith("HTTP/1.1 504").endsWith("late");
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aClientGoingAwayWhileThePolicyWaitsIsReportedOnce() {
    AtomicInteger cancelled = new AtomicInteger();
    policy.onRequest = ex -> ex.onCancel(cancelled::incrementAndGet);
    EmbeddedChannel ch = channel(b -> b);

    send(ch, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    ch.close();
    ch.runPendingTasks();

    assertThat(cancelled.get()).isEqualTo(1);
    assertThat(policy.outcomes).hasSize(1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.CLIENT_ABORT);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void decidingTwiceIsAnError() {
    policy.onRequest =
        ex -> {
          ex.respond(HttpResponseStatus.OK, "once");
          assertThatThrownBy(() -> ex.respond(HttpResponseStatus.OK, "twice"))
              .isInstanceOf(IllegalStateException.class);
          assertThatThrownBy(() -> ex.forward(UpstreamTarget.of("127.0.0.1", 1)))
              .isInstanceOf(IllegalStateException.class);
        };
    EmbeddedChannel ch = channel(b -> b);

    send(ch, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");

    assertThat(written(ch)).endsWith("once\n");
    assertThat(policy.outcomes).hasSize(1);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aLocalAnswerToAnExpectContinueRequestClosesTheConnection() {
    policy.onRequest = ex -> ex.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, "busy");
    EmbeddedChannel ch = channel(b -> b);

    send(ch, "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n");

    assertThat(written(ch)).contains("connection: close");
    assertThat(ch.isOpen()).isFalse();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void theBodyIsPreReadOnlyWithinTheConfiguredLimit() {
    policy.onRequest = ex -> {};
    EmbeddedChannel held = channel(b -> b.preReadLimitBytes(1024));
    EmbeddedChannel notHeld = channel(b -> b);

    send(held, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + "x".repeat(100));
    send(notHeld, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + "x".repeat(100));

    assertThat(policy.exchanges.poll().bufferedRequestBytes()).isEqualTo(100);
    assertThat(policy.exchanges.poll().bufferedRequestBytes()).isZero();
    assertFalse(held.finishAndReleaseAll());
    assertFalse(notHeld.finishAndReleaseAll());
  }

  @Test
  void drainClosesAnIdleConnectionAndABusyOneAfterItsResponse() {
    EmbeddedChannel idle = channel(b -> b);
    // px is the busy channel's context (created last); drain() closes an idle one by itself.
    EmbeddedChannel busy = channel(b -> b);
    policy.onRequest = ex -> ex.respond(HttpResponseStatus.OK, "first");
    send(idle, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assertThat(written(idle)).doesNotContain("connection: close");
    policy.onRequest = ex -> {};
    send(busy, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    policy.exchanges.poll(); // the idle connection's, answered already
    ProxyExchange held = policy.exchanges.poll();

    px.startDrain();
    ((ClientHandler) idle.pipeline().get(PipelineNames.PROXY_CLIENT)).drain();
    ((ClientHandler) busy.pipeline().get(PipelineNames.PROXY_CLIENT)).drain();

    assertThat(idle.isOpen()).isFalse();
    assertThat(busy.isOpen()).isTrue();
    held.respond(HttpResponseStatus.OK, "bye");
    busy.runPendingTasks();
    assertThat(written(busy)).startsWith("HTTP/1.1 200").contains("connection: close");
    assertThat(busy.isOpen()).isFalse();
    assertFalse(idle.finishAndReleaseAll());
    assertFalse(busy.finishAndReleaseAll());
  }
}
