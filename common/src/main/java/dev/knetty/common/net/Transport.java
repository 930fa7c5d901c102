package dev.knetty.common.net;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The I/O transport: event-loop factory plus the matching server and client channel classes, chosen
 * together once (the way Zuul's {@code Server.initializeTransport} does).
 *
 * <p>{@code auto} picks epoll where it loads and NIO elsewhere. io_uring is used only when asked
 * for: it is faster on some kernels but is disabled in many container runtimes' seccomp profiles.
 */
public record Transport(
    Kind kind,
    Supplier<IoHandlerFactory> ioHandlerFactory,
    Class<? extends ServerChannel> serverChannelClass,
    Class<? extends Channel> socketChannelClass) {

  /** The environment variable and system property that override the transport. */
  public static final String ENV = "KNETTY_TRANSPORT";

  public static final String PROPERTY = "knetty.transport";

  /** The transports a user can ask for. */
  public enum Kind {
    AUTO,
    EPOLL,
    IO_URING,
    NIO;

    /** Parses {@code auto}, {@code epoll}, {@code io_uring} (or {@code io-uring}), {@code nio}. */
    public static Kind parse(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT).replace('-', '_');
      for (Kind kind : values()) {
        if (kind.name().toLowerCase(Locale.ROOT).equals(v)) {
          return kind;
        }
      }
      throw new IllegalArgumentException(
          "transport: " + value + " (expected: auto, epoll, io_uring or nio)");
    }
  }

  public Transport {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(ioHandlerFactory, "ioHandlerFactory");
    Objects.requireNonNull(serverChannelClass, "serverChannelClass");
    Objects.requireNonNull(socketChannelClass, "socketChannelClass");
  }

  /** The transport named by {@value #PROPERTY} or {@value #ENV}, else {@code auto}. */
  public static Transport fromEnvironment() {
    String requested = System.getProperty(PROPERTY, System.getenv(ENV));
    return select(requested == null || requested.isBlank() ? Kind.AUTO : Kind.parse(requested));
  }

  /**
   * Resolves a requested kind to a usable transport.
   *
   * @throws IllegalArgumentException if an explicitly requested native transport cannot load, with
   *     the reason
   */
  public static Transport select(Kind requested) {
    switch (requested) {
      case AUTO:
        return Epoll.isAvailable() ? epoll() : nio();
      case EPOLL:
        if (!Epoll.isAvailable()) {
          throw unavailable("epoll", Epoll.unavailabilityCause());
        }
        return epoll();
      case IO_URING:
        if (!IoUring.isAvailable()) {
          throw unavailable("io_uring", IoUring.unavailabilityCause());
        }
        return new Transport(
            Kind.IO_URING,
            IoUringIoHandler::newFactory,
            IoUringServerSocketChannel.class,
            IoUringSocketChannel.class);
      case NIO:
        return nio();
      default:
        throw new IllegalArgumentException("transport: " + requested);
    }
  }

  private static Transport epoll() {
    return new Transport(
        Kind.EPOLL,
        EpollIoHandler::newFactory,
        EpollServerSocketChannel.class,
        EpollSocketChannel.class);
  }

  private static Transport nio() {
    return new Transport(
        Kind.NIO, NioIoHandler::newFactory, NioServerSocketChannel.class, NioSocketChannel.class);
  }

  private static IllegalArgumentException unavailable(String name, Throwable cause) {
    return new IllegalArgumentException(
        "transport: " + name + " is not available here (" + cause + ")", cause);
  }

  /**
   * A new event-loop group of this transport with named, non-daemon threads.
   *
   * @param threads the number of event loops; 0 means Netty's default (2 x cores)
   * @param name the thread-name prefix, e.g. {@code "qp-worker"}
   */
  public EventLoopGroup newEventLoopGroup(int threads, String name) {
    return new MultiThreadIoEventLoopGroup(
        threads, new DefaultThreadFactory(name, false), ioHandlerFactory.get());
  }

  /** A short lower-case name for logs and metrics: {@code epoll}, {@code io_uring}, {@code nio}. */
  public String displayName() {
    return kind.name().toLowerCase(Locale.ROOT);
  }
}
