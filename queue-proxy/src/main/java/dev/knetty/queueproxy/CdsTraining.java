package dev.knetty.queueproxy;

import dev.knetty.common.kmp.KmpServer;
import dev.knetty.common.kmp.KmpServerConfig;
import dev.knetty.common.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A short, self-contained run of the queue-proxy's hot paths (start-up, probes, proxying, stats,
 * scrapes, drain) against an in-process app and KMP server, for recording a class-data-sharing
 * archive: {@code java -XX:ArchiveClassesAtExit=qp.jsa -jar knetty.jar queue-proxy --cds-training}
 * (what {@code bin/knetty queue-proxy --create-cds} runs). The classes it loads are the ones a real
 * queue-proxy loads before and while serving.
 */
final class CdsTraining {

  private CdsTraining() {}

  private static final int REQUESTS = 300;

  /** Runs the workload; returns normally when done. */
  static void run() throws IOException, InterruptedException {
    Transport transport = Transport.fromEnvironment();
    EventLoopGroup appGroup = transport.newEventLoopGroup(1, "cds-app");
    Channel app = null;
    KmpServer autoscaler = null;
    QueueProxy qp = null;
    try {
      app = startApp(transport, appGroup);
      int appPort = ((InetSocketAddress) app.localAddress()).getPort();
      autoscaler =
          KmpServer.start(
              KmpServerConfig.builder("cds-autoscaler", "127.0.0.1")
                  .host("127.0.0.1")
                  .port(0)
                  .build(),
              transport,
              appGroup,
              appGroup,
              (peer, batch) -> {});
      // From an environment, as in production: the parsing classes belong in the archive too.
      QueueProxyConfig config =
          QueueProxyConfig.fromEnvironment(
              Map.ofEntries(
                  Map.entry("CONTAINER_CONCURRENCY", "10"),
                  Map.entry("REVISION_TIMEOUT_SECONDS", "300"),
                  Map.entry("USER_PORT", Integer.toString(appPort)),
                  Map.entry("QUEUE_SERVING_PORT", "0"),
                  Map.entry("QUEUE_ADMIN_PORT", "0"),
                  Map.entry("QUEUE_STATS_PORT", "0"),
                  Map.entry("QUEUE_METRICS_PORT", "0"),
                  Map.entry("KNETTY_BIND_HOST", "127.0.0.1"),
                  Map.entry("SERVING_NAMESPACE", "training"),
                  Map.entry("SERVING_REVISION", "training-00001"),
                  Map.entry("SERVING_POD", "training-00001-deployment-0"),
                  Map.entry(
                      "KNETTY_AUTOSCALER", "127.0.0.1:" + autoscaler.localAddress().getPort()),
                  Map.entry("KNETTY_DRAIN_QUIET_PERIOD", "0s"),
                  Map.entry("KNETTY_DRAIN_TIMEOUT", "5s"),
                  Map.entry(
                      "SERVING_READINESS_PROBE",
                      "[{\"tcpSocket\":{\"host\":\"127.0.0.1\",\"port\":"
                          + appPort
                          + "},\"successThreshold\":1},"
                          + "{\"httpGet\":{\"host\":\"127.0.0.1\",\"port\":"
                          + appPort
                          + ",\"path\":\"/\",\"scheme\":\"HTTP\"}}]")));
      qp =
          QueueProxy.builder(config)
              .transport(transport)
              .metrics(QueueProxy.startMetrics())
              .start();
      exercise(qp);
      qp.drain().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("training run failed", e);
    } finally {
      if (qp != null) {
        qp.close();
      }
      if (autoscaler != null) {
        autoscaler.close();
      }
      if (app != null) {
        app.close().awaitUninterruptibly();
      }
      appGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  private static void exercise(QueueProxy qp) throws IOException {
    try (Socket s = new Socket("127.0.0.1", qp.servingPort())) {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      OutputStream out = s.getOutputStream();
      for (int i = 0; i < REQUESTS; i++) {
        String extra =
            i % 50 == 0
                ? "User-Agent: kube-probe/1.30\r\nK-Network-Probe: queue\r\n"
                : i % 3 == 0 ? "K-Proxy-Request: activator\r\nX-Forwarded-For: 10.0.0.1\r\n" : "";
        exchange(in, out, "GET /?i=" + i + " HTTP/1.1\r\nHost: training\r\n" + extra + "\r\n");
        if (i % 100 == 0) {
          qp.reportNow();
        }
      }
    }
    for (int port : new int[] {qp.statsPort(), qp.metricsPort()}) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        exchange(in, s.getOutputStream(), "GET /metrics HTTP/1.1\r\nHost: training\r\n\r\n");
      }
    }
  }

  /** Writes one request and reads its response (headers, then a Content-Length body). */
  private static void exchange(BufferedReader in, OutputStream out, String request)
      throws IOException {
    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    int length = 0;
    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
        length = Integer.parseInt(line.substring(colon + 1).trim());
      }
    }
    if (in.skip(length) != length) {
      throw new IOException("short response body");
    }
  }

  private static Channel startApp(Transport transport, EventLoopGroup group) {
    return new ServerBootstrap()
        .group(group)
        .channel(transport.serverChannelClass())
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new HelloHandler());
              }
            })
        .bind("127.0.0.1", 0)
        .syncUninterruptibly()
        .channel();
  }

  /** Answers every request with {@code hello}. */
  private static final class HelloHandler extends ChannelInboundHandlerAdapter {
    private boolean keepAlive;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        keepAlive = HttpUtil.isKeepAlive((HttpRequest) msg);
      }
      if (msg instanceof LastHttpContent) {
        FullHttpResponse response =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.OK,
                Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 5);
        if (keepAlive) {
          ctx.writeAndFlush(response);
        } else {
          ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
      }
      ReferenceCountUtil.release(msg);
    }
  }
}
