package dev.knetty.dist.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * Free loopback ports for pods. A port is free when the system hands it out for a bind to port 0;
 * it is then closed again for the child to bind, so another process may take it in between: the
 * child then fails to bind, exits, and its pod is replaced with new ports. Ports handed to pods
 * that still run are never handed out twice. Thread-safe.
 */
final class Ports {

  private static final int ATTEMPTS = 100;

  private final IntSupplier freePort;
  private final Set<Integer> inUse = new HashSet<>();

  /** Ports from the system's ephemeral range. */
  Ports() {
    this(Ports::systemFreePort);
  }

  /** Ports from {@code freePort} (tests). */
  Ports(IntSupplier freePort) {
    this.freePort = freePort;
  }

  /** A port no running pod has. */
  synchronized int allocate() {
    for (int i = 0; i < ATTEMPTS; i++) {
      int port = freePort.getAsInt();
      if (inUse.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free loopback port after " + ATTEMPTS + " attempts");
  }

  /** {@code port} is no longer used by a pod. */
  synchronized void release(int port) {
    inUse.remove(port);
  }

  /** Ports handed out and not released. */
  synchronized int inUse() {
    return inUse.size();
  }

  private static int systemFreePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free loopback port", e);
    }
  }
}
