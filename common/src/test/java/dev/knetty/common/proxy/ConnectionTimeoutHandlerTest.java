package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConnectionTimeoutHandlerTest {

  private static final Duration HEADER = Duration.ofSeconds(60);

  private static void advance(EmbeddedChannel ch, Duration d) {
    ch.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
    ch.runScheduledPendingTasks();
  }

  @Test
  void aConnectionWithoutARequestHeadIsClosedAfterTheHeaderTimeout() {
    EmbeddedChannel ch = new EmbeddedChannel(new ConnectionTimeoutHandler(HEADER, Duration.ZERO));

    advance(ch, HEADER.minusSeconds(1));
    assertThat(ch.isOpen()).isTrue();
    advance(ch, Duration.ofSeconds(1));
    assertThat(ch.isOpen()).isFalse();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void noTimeoutWhileAnExchangeRunsNorWhileIdleWithoutAnIdleTimeout() {
    ConnectionTimeoutHandler handler = new ConnectionTimeoutHandler(HEADER, Duration.ZERO);
    EmbeddedChannel ch = new EmbeddedChannel(handler);

    handler.requestStarted();
    advance(ch, HEADER.multipliedBy(3));
    assertThat(ch.isOpen()).isTrue();
    handler.awaitingRequest();
    assertThat(handler.idle()).isTrue();
    advance(ch, HEADER.multipliedBy(3));
    assertThat(ch.isOpen()).isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void theFirstByteOfTheNextRequestStartsTheHeaderTimeout() {
    ConnectionTimeoutHandler handler = new ConnectionTimeoutHandler(HEADER, Duration.ZERO);
    EmbeddedChannel ch = new EmbeddedChannel(handler);
    handler.requestStarted();
    handler.awaitingRequest();

    ch.writeInbound(Unpooled.copiedBuffer(new byte[] {'G'}));
    ByteBuf passed = ch.readInbound();
    passed.release();
    assertThat(handler.idle()).isFalse();
    advance(ch, HEADER);

    assertThat(ch.isOpen()).isFalse();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() {
    Duration idle = Duration.ofSeconds(5);
    ConnectionTimeoutHandler handler = new ConnectionTimeoutHandler(HEADER, idle);
    EmbeddedChannel ch = new EmbeddedChannel(handler);
    handler.requestStarted();
    handler.awaitingRequest();

    advance(ch, idle.minusMillis(1));
    assertThat(ch.isOpen()).isTrue();
    advance(ch, Duration.ofMillis(1));
    assertThat(ch.isOpen()).isFalse();
    assertFalse(ch.finishAndReleaseAll());
  }
}
