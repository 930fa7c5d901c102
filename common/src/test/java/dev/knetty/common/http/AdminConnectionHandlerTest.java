package dev.knetty.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Connection life cycle decisions, driven event by event. */
class AdminConnectionHandlerTest {

  private final CompletableFuture<FullHttpResponse> parked = new CompletableFuture<>();
  private final AtomicBoolean serverClosing = new AtomicBoolean();
  private final EmbeddedChannel ch =
      new EmbeddedChannel(
          new HttpServerCodec(),
          new HttpObjectAggregator(1024),
          new AdminConnectionHandler(
              new AdminRoutes(Map.of("/slow", Map.of(HttpMethod.GET, r -> parked))),
              serverClosing,
              new AdminRejections(new SimpleMeterRegistry(), "t")));

  @AfterEach
  void tearDown() {
    assertFalse(ch.finishAndReleaseAll());
  }

  private void request() {
    ch.writeInbound(
        Unpooled.copiedBuffer("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
  }

  private String response() {
    ByteBuf out = ch.readOutbound();
    try {
      return out.toString(StandardCharsets.US_ASCII);
    } finally {
      out.release();
    }
  }

  private void answer() {
    parked.complete(TextResponses.of(ch.alloc(), HttpResponseStatus.OK, "done"));
  }

  @Test
  void idleTimeoutSparesAConnectionWaitingForItsHandler() {
    request();
    ch.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    assertThat(ch.isOpen()).isTrue();

    answer();
    assertThat(response()).startsWith("HTTP/1.1 200 OK").endsWith("done\n");
    ch.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void gracefulCloseWaitsForTheAnswerAndSaysConnectionClose() {
    request();
    ch.pipeline().fireUserEventTriggered(AdminConnectionHandler.GRACEFUL_CLOSE);
    assertThat(ch.isOpen()).isTrue();

    answer();
    assertThat(response()).containsIgnoringCase("connection: close").endsWith("done\n");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aResponseForAClosedConnectionIsReleased() {
    request();
    ch.close();
    FullHttpResponse late = TextResponses.of(ch.alloc(), HttpResponseStatus.OK, "late");
    parked.complete(late);
    assertThat(late.refCnt()).isZero();
  }
}
