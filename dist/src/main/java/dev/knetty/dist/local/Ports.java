package dev.knetty.dist.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntPredicate;

/**
 * Free loopback ports for pods, taken from a range below the systems' ephemeral ranges (Linux
 * 32768-60999, macOS and Windows 49152-65535). A port is handed out once a bind to it succeeds; it
 * is closed again for the child to bind. Outside the ephemeral range no other process gets it in
 * between by binding port 0 or connecting somewhere (the queue-proxies' own admin ports, every
 * client's local ports): if a port is ever taken anyway, the child fails to bind, exits, and its
 * pod is replaced with new ports. Ports handed to pods that still run are never handed out twice.
 * Thread-safe.
 */
final class Ports {

  /** The first port of the default range. */
  static final int FIRST = 20_000;

  /** The last port of the default range. */
  static final int LAST = 32_767;

  private final int first;
  private final int last;
  private final IntPredicate bindable;
  private final Set<Integer> inUse = new HashSet<>();
  private int next;

  /** Ports of {@link #FIRST}-{@link #LAST} that a loopback bind accepts. */
  Ports() {
    this(FIRST, LAST, Ports::bindable);
  }

  /**
   * Ports of {@code first}-{@code last} that {@code bindable} accepts, from a random start (so that
   * two local modes on one machine rarely try the same ports).
   */
  Ports(int first, int last, IntPredicate bindable) {
    if (first < 1 || last > 65_535 || first > last) {
      throw new IllegalArgumentException(
          "ports: " + first + "-" + last + " (expected: a range within 1-65535)");
    }
    this.first = first;
    this.last = last;
    this.bindable = bindable;
    this.next = first + ThreadLocalRandom.current().nextInt(last - first + 1);
  }

  /**
   * A free port no running pod has.
   *
   * @throws IllegalStateException if the whole range is in use
   */
  synchronized int allocate() {
    int size = last - first + 1;
    for (int i = 0; i < size; i++) {
      int port = next;
      next = port == last ? first : port + 1;
      if (!inUse.contains(port) && bindable.test(port)) {
        inUse.add(port);
        return port;
      }
    }
    throw new IllegalStateException(
        "no free loopback port in " + first + "-" + last + " (" + inUse.size() + " used by pods)");
  }

  /** {@code port} is no longer used by a pod; negative ports (none allocated) are ignored. */
  synchronized void release(int port) {
    inUse.remove(port);
  }

  /** Ports handed out and not released. */
  synchronized int inUse() {
    return inUse.size();
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      // Without SO_REUSEADDR: a port with connections in TIME_WAIT is not handed out.
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
