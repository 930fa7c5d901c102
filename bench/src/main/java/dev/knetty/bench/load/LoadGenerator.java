package dev.knetty.bench.load;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Netty HTTP/1.1 and h2c load generator for loopback targets, open loop (constant rate, latency
 * from each request's intended send time) or closed loop (maximum throughput). See {@link LoadSpec}
 * for the semantics. Runs may overlap; each gets its own connections.
 *
 * <p>Only loopback targets are accepted: Knetty's benchmarks never load-test other hosts.
 */
public final class LoadGenerator implements AutoCloseable {

  private final Transport transport;
  private final EventLoopGroup group;
  private final List<EventLoop> loops = new ArrayList<>();
  private final ScheduledExecutorService sampler;

  /** A generator on the transport chosen by the environment. */
  public LoadGenerator(int threads) {
    this(Transport.fromEnvironment(), threads);
  }

  /**
   * @param threads event loops; requests and connections are spread over them
   */
  public LoadGenerator(Transport transport, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: > 0)");
    }
    this.transport = transport;
    this.group = transport.newEventLoopGroup(threads, "bench-load");
    for (EventExecutor executor : group) {
      loops.add((EventLoop) executor);
      // Start the thread now: a run's lanes must not lose their first milliseconds to it.
      executor.submit(() -> {}).syncUninterruptibly();
    }
    this.sampler =
        Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("bench-load-sampler", true));
  }

  /** Runs {@code spec} and waits for its result. */
  public LoadResult run(LoadSpec spec) throws InterruptedException {
    return start(spec, sample -> {}).await();
  }

  /**
   * Starts {@code spec}.
   *
   * @param onInterval called on the sampler thread once per second of the measured phase
   * @throws IllegalArgumentException if the target is not a loopback address
   */
  public RunningLoad start(LoadSpec spec, Consumer<IntervalSample> onInterval) {
    InetSocketAddress address = loopback(spec.target());
    Bootstrap bootstrap =
        new Bootstrap()
            .channel(transport.socketChannelClass())
            .remoteAddress(address)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(spec.requestTimeout().toMillis(), 10_000));
    return new RunningLoad(spec, bootstrap, loops, sampler, onInterval);
  }

  /**
   * Resolves {@code target}'s host and refuses anything that is not loopback.
   *
   * @throws IllegalArgumentException naming the target and what it resolved to
   */
  static InetSocketAddress loopback(URI target) {
    String host = target.getHost();
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "target: " + target + " (cannot resolve " + host + "; expected: a loopback address)", e);
    }
    for (InetAddress address : addresses) {
      if (!address.isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "target: "
                + target
                + " resolves to "
                + address.getHostAddress()
                + " (expected: a loopback address such as 127.0.0.1;"
                + " knetty bench never load-tests other hosts)");
      }
    }
    int port = target.getPort() < 0 ? 80 : target.getPort();
    return new InetSocketAddress(addresses[0], port);
  }

  /** Stops the event loops (closing any connection left) and the sampler. */
  @Override
  public void close() {
    sampler.shutdownNow();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
