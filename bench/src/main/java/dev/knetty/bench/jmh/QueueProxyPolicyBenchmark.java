package dev.knetty.bench.jmh;

import dev.knetty.common.proxy.ExchangeOutcome;
import dev.knetty.queueproxy.QueueProxyConfig;
import dev.knetty.queueproxy.QueueProxyPolicy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.DefaultEventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The queue-proxy's per-request work without sockets: {@link QueueProxyPolicy#onRequest} (probe
 * classification, drain bookkeeping, stats In, header rewriting, breaker acquire, forward) and
 * {@link QueueProxyPolicy#onComplete} (stats Out, permit release, meters). {@link #headersOnly} is
 * the cost of building the request head each operation starts with, to subtract.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-XX:+UseSerialGC"})
public class QueueProxyPolicyBenchmark {

  private static final ExchangeOutcome OUTCOME =
      new ExchangeOutcome(ExchangeOutcome.Kind.PROXIED, 200, true, 0, 12, 1, 1_000_000, null);

  /** 0: no breaker (containerConcurrency 0); 100: Knative's breaker. */
  @Param({"0", "100"})
  int containerConcurrency;

  /** Whether requests carry {@code K-Proxy-Request: activator} (proxied stats). */
  @Param({"false", "true"})
  boolean proxied;

  private QueueProxyPolicy policy;
  private DefaultEventLoop loop;
  private HttpHeaders template;

  @Setup(Level.Trial)
  public void setUp() {
    loop = new DefaultEventLoop();
    policy =
        QueueProxyPolicy.standalone(
            QueueProxyConfig.builder()
                .containerConcurrency(containerConcurrency)
                .ports(0, 0, 0, 0)
                .build(),
            // The registry the queue-proxy uses: meter costs differ between registries.
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    template =
        new DefaultHttpHeaders()
            .set("host", "hello.default.example.com")
            .set("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
            .set("accept", "*/*")
            .set("x-forwarded-for", "203.0.113.7")
            .set("x-forwarded-proto", "https")
            .set("knative-serving-revision", "hello-00001")
            .set("knative-serving-namespace", "default");
    if (proxied) {
      template.set("k-proxy-request", "activator");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  private HttpRequest newHead() {
    return new DefaultHttpRequest(
        HttpVersion.HTTP_1_1,
        HttpMethod.GET,
        "/api/items?id=42",
        new DefaultHttpHeaders().set(template));
  }

  /** One request through the policy: decide (forward) and complete. */
  @Benchmark
  public boolean request() {
    BenchExchange ex = new BenchExchange(newHead(), loop);
    policy.onRequest(ex);
    policy.onComplete(ex, OUTCOME);
    return ex.forwarded();
  }

  /** The request head alone, as {@link #request()} builds it. */
  @Benchmark
  public HttpRequest headersOnly() {
    return newHead();
  }
}
