package dev.knetty.common.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * The header names and values of Knative's data plane (reference: knative-dataplane.md §1.8), plus
 * Knetty's own routing headers.
 */
public final class KnativeHeaders {

  private KnativeHeaders() {}

  /** {@code activator} on requests the activator forwards; the queue-proxy counts them proxied. */
  public static final AsciiString PROXY_REQUEST = AsciiString.cached("k-proxy-request");

  public static final String PROXY_REQUEST_ACTIVATOR = "activator";

  /** The Host the activator cleared; the queue-proxy restores it. */
  public static final AsciiString ORIGINAL_HOST = AsciiString.cached("k-original-host");

  /** Network probes: {@code queue}, {@code activator} or {@code probe} (with a hash). */
  public static final AsciiString NETWORK_PROBE = AsciiString.cached("k-network-probe");

  public static final AsciiString NETWORK_HASH = AsciiString.cached("k-network-hash");

  /** Legacy marker of a kubelet probe. */
  public static final AsciiString KUBELET_PROBE = AsciiString.cached("k-kubelet-probe");

  public static final AsciiString SERVING_REVISION = AsciiString.cached("knative-serving-revision");

  public static final AsciiString SERVING_NAMESPACE =
      AsciiString.cached("knative-serving-namespace");

  public static final AsciiString SERVING_TAG = AsciiString.cached("knative-serving-tag");

  public static final AsciiString SERVING_DEFAULT_ROUTE =
      AsciiString.cached("knative-serving-default-route");

  /** Knetty's own revision-routing headers (the activator also accepts Knative's). */
  public static final AsciiString KNETTY_REVISION = AsciiString.cached("knetty-revision");

  public static final AsciiString KNETTY_NAMESPACE = AsciiString.cached("knetty-namespace");

  /** Probe identities, sent as User-Agent. */
  public static final String KUBE_PROBE_UA_PREFIX = "kube-probe/";

  /** What Knative's queue-proxy sends to the app when probing it (empty major/minor version). */
  public static final String QUEUE_PROXY_APP_PROBE_UA = "kube-probe//";

  public static final String ACTIVATOR_PROBE_UA = "Knative-Activator-Probe";
  public static final String AUTOSCALING_PROBE_UA = "Knative-Autoscaling-Probe";
  public static final String QUEUE_PROXY_PROBE_UA = "Knative-Queue-Proxy-Probe";
  public static final String INGRESS_PROBE_UA = "Knative-Ingress-Probe";

  /** {@code K-Network-Probe} values. */
  public static final String PROBE_QUEUE = "queue";

  public static final String PROBE_ACTIVATOR = "activator";
  public static final String PROBE_INGRESS = "probe";

  /**
   * Knative's {@code IsKubeletProbe}: User-Agent starts with {@code kube-probe/}, or a non-empty
   * {@code K-Kubelet-Probe}.
   */
  public static boolean isKubeletProbe(HttpHeaders headers) {
    String ua = headers.get(io.netty.handler.codec.http.HttpHeaderNames.USER_AGENT);
    if (ua != null && ua.startsWith(KUBE_PROBE_UA_PREFIX)) {
      return true;
    }
    String marker = headers.get(KUBELET_PROBE);
    return marker != null && !marker.isEmpty();
  }
}
