package dev.knetty.common.proxy;

import dev.knetty.common.net.Transport;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;

/** Starts proxies and origins on loopback and shuts everything down after each test. */
abstract class ProxyTestSupport {

  static final Duration WAIT = Duration.ofSeconds(30);

  final Transport transport = Transport.fromEnvironment();
  final EventLoopGroup originGroup = transport.newEventLoopGroup(1, "test-origin");
  private final List<AutoCloseable> closeables = new ArrayList<>();
  ProxyServer proxy;
  int proxyPort;

  final HttpClient http1 =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** A proxy with the test defaults (2 workers), changed by {@code config}. */
  ProxyServer startProxy(ProxyPolicy policy, UnaryOperator<ProxyServerConfig.Builder> config) {
    return startProxy(policy, config, 2);
  }

  /** A proxy with {@code workers} event loops. */
  ProxyServer startProxy(
      ProxyPolicy policy, UnaryOperator<ProxyServerConfig.Builder> config, int workers) {
    ProxyServerConfig cfg =
        config.apply(ProxyServerConfig.builder().host("127.0.0.1").port(0)).build();
    proxy = ProxyServer.builder(cfg, policy).transport(transport).workerThreads(workers).build();
    proxyPort = proxy.start();
    return proxy;
  }

  ProxyServer startProxy(ProxyPolicy policy) {
    return startProxy(policy, b -> b);
  }

  <T extends AutoCloseable> T closeLater(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  TestOrigin origin(TestOrigin origin) {
    return closeLater(origin);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + proxyPort + path);
  }

  @AfterEach
  void shutDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (proxy != null) {
      proxy.close();
    }
    originGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
