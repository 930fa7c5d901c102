package dev.knetty.common.proxy;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A pool key: where, and whether over h2c (multiplexed) or HTTP/1.1 (exclusive). */
record UpstreamKey(UpstreamTarget target, boolean h2) {

  /** The resolved socket address; IP literals only, so this never does a DNS lookup. */
  InetSocketAddress address() {
    String host = target.host();
    if ("localhost".equals(host)) {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), target.port());
    }
    try {
      return new InetSocketAddress(
          InetAddress.getByAddress(NetUtil.createByteArrayFromIpAddressString(host)),
          target.port());
    } catch (UnknownHostException e) {
      // UpstreamTarget accepts IP literals only, whose byte form always has a valid length.
      throw new IllegalStateException("host: " + host, e);
    }
  }
}
