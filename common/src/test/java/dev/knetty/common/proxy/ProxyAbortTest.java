package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.H2cClient;
import dev.knetty.common.testing.RawHttp;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** Either side going away at any point: everything is released and reported once. */
class ProxyAbortTest extends ProxyTestSupport {

  @Test
  void aClientAbortMidBodyClosesTheUpstreamConnection() throws Exception {
    ProxyStreamingTest.UploadSink sink = new ProxyStreamingTest.UploadSink(Long.MAX_VALUE);
    TestOrigin origin = origin(TestOrigin.http1(originGroup, () -> sink, false));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
      client.write("5\r\nhello\r\n");
      await().atMost(WAIT).until(() -> origin.accepted.get() == 1 && sink.received() == 5);
    }

    await().atMost(WAIT).until(() -> origin.closed.get() == 1);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.CLIENT_ABORT);
    assertThat(policy.outcomes.get(0).requestBytes()).isEqualTo(5);
    assertThat(proxy.activeExchanges()).isZero();
    await().atMost(WAIT).until(() -> proxy.upstreamConnections() == 0);
    assertThat(policy.outcomes).hasSize(1);
  }

  @Test
  void aClientAbortWhileThePolicyWaitsRunsTheCancelHook() throws Exception {
    AtomicInteger cancelled = new AtomicInteger();
    RecordingPolicy policy = new RecordingPolicy(null);
    policy.onRequest = ex -> ex.onCancel(cancelled::incrementAndGet);
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      policy.exchanges.poll(30, TimeUnit.SECONDS);
    }

    await().atMost(WAIT).until(() -> cancelled.get() == 1);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    ExchangeOutcome outcome = policy.outcomes.get(0);
    assertThat(outcome.kind()).isEqualTo(ExchangeOutcome.Kind.CLIENT_ABORT);
    assertThat(outcome.status()).isZero();
    assertThat(outcome.upstreamAttempts()).isZero();
    ProxyExchange ex = policy.exchanges.isEmpty() ? null : policy.exchanges.peek();
    assertThat(ex).isNull();
    assertThat(proxy.activeExchanges()).isZero();
  }

  @Test
  void anH2ClientGoingAwayWhileThePolicyWaitsRunsTheCancelHook() throws Exception {
    AtomicInteger cancelled = new AtomicInteger();
    RecordingPolicy policy = new RecordingPolicy(null);
    policy.onRequest = ex -> ex.onCancel(cancelled::incrementAndGet);
    startProxy(policy);
    ProxyH2Test.GroupCloser group =
        closeLater(new ProxyH2Test.GroupCloser(transport.newEventLoopGroup(1, "test-h2")));
    H2cClient client = new H2cClient(group.group(), proxyPort);

    client.send(ProxyH2Test.get("/"));
    ProxyExchange ex = policy.exchanges.poll(30, TimeUnit.SECONDS);
    client.close();

    await().atMost(WAIT).until(() -> cancelled.get() == 1);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.CLIENT_ABORT);
    assertThat(ex.eventLoop().submit(ex::isDone).get()).isTrue();
  }

  @Test
  void anH2ClientAbortResetsItsUpstreamStreamOnly() throws Exception {
    AtomicInteger streamsClosed = new AtomicInteger();
    StallingOrigin stalling = StallingOrigin.chunkedForever();
    TestOrigin origin =
        origin(
            TestOrigin.h2cStreams(
                originGroup,
                () ->
                    new io.netty.channel.ChannelInboundHandlerAdapter() {
                      @Override
                      public void channelRead(
                          io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        stalling.channelRead(ctx, msg);
                      }

                      @Override
                      public void channelInactive(io.netty.channel.ChannelHandlerContext ctx) {
                        streamsClosed.incrementAndGet();
                      }
                    }));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);
    ProxyH2Test.GroupCloser group =
        closeLater(new ProxyH2Test.GroupCloser(transport.newEventLoopGroup(1, "test-h2")));
    H2cClient client = new H2cClient(group.group(), proxyPort);

    client.send(ProxyH2Test.get("/"));
    stalling.responded.get(30, TimeUnit.SECONDS);
    client.close();

    await().atMost(WAIT).until(() -> streamsClosed.get() == 1);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.CLIENT_ABORT);
    // The upstream h2c connection itself stays, for other streams.
    assertThat(origin.closed.get()).isZero();
    assertThat(proxy.upstreamConnections()).isEqualTo(1);
  }

  @Test
  void aClientAbortMidResponseClosesTheUpstreamConnection() throws Exception {
    ProxyStreamingTest.DownloadSource source =
        new ProxyStreamingTest.DownloadSource(50L * 1024 * 1024);
    TestOrigin origin = origin(TestOrigin.http1(originGroup, () -> source));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      assertThat(client.readHead().status()).isEqualTo(200);
    }

    await().atMost(WAIT).until(() -> origin.closed.get() == 1);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.CLIENT_ABORT);
    assertThat(policy.outcomes.get(0).responseStarted()).isTrue();
    assertThat(policy.outcomes.get(0).status()).isEqualTo(200);
    await().atMost(WAIT).until(() -> proxy.upstreamConnections() == 0);
  }

  @Test
  void anUpstreamFailingMidResponseCutsTheClientConnection() throws Exception {
    TestOrigin origin =
        origin(
            TestOrigin.http1(
                originGroup, () -> new StallingOrigin(null, java.util.List.of(), 0, true)));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      assertThat(client.readHead().status()).isEqualTo(200);
      assertThatThrownBy(() -> client.readChunked(new CRC32())).isInstanceOf(IOException.class);
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.UPSTREAM_ERROR);
    assertThat(policy.outcomes.get(0).responseStarted()).isTrue();
  }
}
