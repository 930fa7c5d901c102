package dev.knetty.autoscaler.kubernetes;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What answers a public Service's activator probe, on loopback: an activator (200 {@code activator}
 * to {@code K-Network-Probe: activator}) while {@link #answering}, else a queue-proxy (400).
 */
final class FakeActivator implements AutoCloseable {

  final AtomicBoolean answering = new AtomicBoolean(true);
  final AtomicInteger probes = new AtomicInteger();
  private final HttpServer server;

  FakeActivator() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/healthz",
        exchange -> {
          probes.incrementAndGet();
          boolean probe =
              "activator".equals(exchange.getRequestHeaders().getFirst("K-Network-Probe"))
                  && "Knative-Autoscaling-Probe"
                      .equals(exchange.getRequestHeaders().getFirst("User-Agent"));
          boolean yes = probe && answering.get();
          byte[] body = (yes ? "activator" : "unexpected probe").getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(yes ? 200 : 400, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/healthz");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
