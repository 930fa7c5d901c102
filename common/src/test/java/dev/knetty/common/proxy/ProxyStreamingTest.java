package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.RawHttp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Bodies stream through without being aggregated: 50 MB each way, with the far side stalled on
 * purpose so that the proxy must stop reading, and the proxy's own buffering measured.
 */
class ProxyStreamingTest extends ProxyTestSupport {

  private static final long SIZE = 50L * 1024 * 1024;
  private static final long BOUND = 512 * 1024;

  @Test
  void aLargeChunkedRequestStreamsWithBackpressure() throws Exception {
    UploadSink sink = new UploadSink(1024 * 1024);
    TestOrigin origin = origin(TestOrigin.http1(originGroup, () -> sink, false));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);
    AtomicLong produced = new AtomicLong();
    CRC32 sent = new CRC32();

    CompletableFuture<java.net.http.HttpResponse<String>> response =
        http1.sendAsync(
            HttpRequest.newBuilder(uri("/upload"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> pattern(SIZE, produced, sent)))
                .build(),
            BodyHandlers.ofString());
    Exchange ex = (Exchange) policy.exchanges.poll(30, TimeUnit.SECONDS);

    // The origin stops reading after 1 MB: the proxy must stop reading the client in turn.
    await().atMost(WAIT).until(() -> sink.paused && onLoop(ex, ex::waitingForUpstreamWritability));
    assertThat(produced.get()).isLessThan(SIZE);
    assertThat(onLoop(ex, ex::peakBufferedBytes)).isLessThan(BOUND);

    sink.resume();
    java.net.http.HttpResponse<String> done = response.get(60, TimeUnit.SECONDS);

    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).isEqualTo(SIZE + " " + sent.getValue());
    assertThat(onLoop(ex, ex::peakBufferedBytes)).isLessThan(BOUND);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).requestBytes()).isEqualTo(SIZE);
  }

  @Test
  void aLargeResponseToASlowClientIsNotBufferedByTheProxy() throws Exception {
    DownloadSource source = new DownloadSource(SIZE);
    TestOrigin origin = origin(TestOrigin.http1(originGroup, () -> source));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("GET /download HTTP/1.1\r\nHost: t\r\n\r\n");
      Exchange ex = (Exchange) policy.exchanges.poll(30, TimeUnit.SECONDS);

      // Nobody reads the client socket: the proxy must stop reading the origin.
      await().atMost(WAIT).until(() -> onLoop(ex, ex::waitingForClientWritability));
      assertThat(source.written.get()).isLessThan(SIZE);
      assertThat(onLoop(ex, ex::peakBufferedBytes)).isLessThan(BOUND);

      RawHttp.Response head = client.readHead();
      CRC32 received = new CRC32();
      long length = client.readChunked(received);

      assertThat(head.status()).isEqualTo(200);
      assertThat(length).isEqualTo(SIZE);
      assertThat(received.getValue()).isEqualTo(source.crc.getValue());
      assertThat(onLoop(ex, ex::peakBufferedBytes)).isLessThan(BOUND);
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.PROXIED);
    assertThat(policy.outcomes.get(0).responseBytes()).isEqualTo(SIZE);
  }

  static <T> T onLoop(ProxyExchange ex, java.util.concurrent.Callable<T> read) throws Exception {
    return ex.eventLoop().submit(read).get(30, TimeUnit.SECONDS);
  }

  /** {@code size} bytes of a fixed pattern, counted and checksummed as they are read. */
  static InputStream pattern(long size, AtomicLong produced, CRC32 crc) {
    return new InputStream() {
      private long pos;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (pos >= size) {
          return -1;
        }
        int n = (int) Math.min(len, size - pos);
        for (int i = 0; i < n; i++) {
          b[off + i] = (byte) ((pos + i) % 251);
        }
        crc.update(b, off, n);
        pos += n;
        produced.addAndGet(n);
        return n;
      }
    };
  }

  /** Counts a request body; stops reading after {@code pauseAfter} bytes until resumed. */
  static final class UploadSink extends ChannelInboundHandlerAdapter {
    private final long pauseAfter;
    private final CRC32 crc = new CRC32();
    private long received;
    private ChannelHandlerContext ctx;
    volatile boolean paused;
    private boolean resumed;

    UploadSink(long pauseAfter) {
      this.pauseAfter = pauseAfter;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      this.ctx = ctx;
      ctx.read();
    }

    long received() throws Exception {
      return ctx == null ? 0 : ctx.executor().submit(() -> received).get();
    }

    void resume() {
      ctx.executor()
          .execute(
              () -> {
                resumed = true;
                ctx.read();
              });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpContent) {
        ByteBuf content = ((HttpContent) msg).content();
        byte[] bytes = new byte[content.readableBytes()];
        content.readBytes(bytes);
        crc.update(bytes);
        received += bytes.length;
      }
      boolean last = msg instanceof LastHttpContent;
      ReferenceCountUtil.release(msg);
      if (last) {
        ctx.writeAndFlush(TestOrigin.text(received + " " + crc.getValue()));
        ctx.read();
      } else if (received < pauseAfter || resumed) {
        ctx.read();
      } else {
        paused = true;
      }
    }
  }

  /** Answers any request with {@code size} pattern bytes, writing only while writable. */
  static final class DownloadSource extends ChannelInboundHandlerAdapter {
    private final long size;
    final AtomicLong written = new AtomicLong();
    final CRC32 crc = new CRC32();
    private boolean responding;
    private boolean scheduled;

    DownloadSource(long size) {
      this.size = size;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      boolean last = msg instanceof LastHttpContent;
      ReferenceCountUtil.release(msg);
      if (last && !responding) {
        responding = true;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.write(head);
        writeMore(ctx);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      // Not re-entrantly: a flush inside writeMore() can change the writability.
      if (responding && ctx.channel().isWritable() && !scheduled) {
        scheduled = true;
        ctx.executor().execute(() -> writeMore(ctx));
      }
      ctx.fireChannelWritabilityChanged();
    }

    private void writeMore(ChannelHandlerContext ctx) {
      scheduled = false;
      if (!responding) {
        return;
      }
      while (ctx.channel().isWritable() && written.get() < size) {
        long pos = written.get();
        int n = (int) Math.min(64 * 1024, size - pos);
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
          bytes[i] = (byte) ((pos + i) % 251);
        }
        crc.update(bytes);
        written.addAndGet(n);
        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)));
      }
      if (written.get() >= size) {
        responding = false;
        ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
      }
      ctx.flush();
    }
  }
}
