package dev.knetty.bench.jmh;

import dev.knetty.common.http.KnativeHeaders;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The header checks every proxied request goes through before it is forwarded, on a realistic
 * request head (eight headers): Knative's probe classification and the routing headers the
 * activator reads. The queue-proxy's whole header rewriting is in {@link
 * QueueProxyPolicyBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-XX:+UseSerialGC")
public class KnativeHeadersBenchmark {

  private HttpHeaders headers;

  @Setup(Level.Trial)
  public void setUp() {
    headers =
        new DefaultHttpHeaders()
            .set("host", "hello.default.example.com")
            .set("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
            .set("accept", "*/*")
            .set("x-forwarded-for", "203.0.113.7")
            .set("x-forwarded-proto", "https")
            .set("knative-serving-revision", "hello-00001")
            .set("knative-serving-namespace", "default")
            .set("k-proxy-request", "activator");
  }

  /** Knative's {@code IsKubeletProbe} on a request that is not one (the common case). */
  @Benchmark
  public boolean isKubeletProbe() {
    return KnativeHeaders.isKubeletProbe(headers);
  }

  /**
   * What the activator reads to route and classify a request: revision, namespace, network probe,
   * proxy marker.
   */
  @Benchmark
  public int routingHeaders() {
    String revision = headers.get(KnativeHeaders.SERVING_REVISION);
    String namespace = headers.get(KnativeHeaders.SERVING_NAMESPACE);
    boolean probe = headers.contains(KnativeHeaders.NETWORK_PROBE);
    boolean proxied =
        headers.contains(
            KnativeHeaders.PROXY_REQUEST, KnativeHeaders.PROXY_REQUEST_ACTIVATOR, true);
    return revision.length() + namespace.length() + (probe ? 1 : 0) + (proxied ? 2 : 0);
  }
}
