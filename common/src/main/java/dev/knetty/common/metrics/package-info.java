/**
 * Micrometer with Prometheus exposition: {@link dev.knetty.common.metrics.ProcessMetrics} (the
 * process's one registry, JVM and Netty meters) and {@link
 * dev.knetty.common.metrics.PrometheusScrapeHandler} ({@code GET /metrics}).
 *
 * <h2>Naming conventions for Knetty's meters</h2>
 *
 * <ul>
 *   <li><b>Names</b> are dotted, lower case, prefixed by the component: {@code
 *       queueproxy.requests}, {@code activator.queue.depth}, {@code proxy.upstream.connect}.
 *       Prometheus renders them with underscores and unit and type suffixes ({@code _total}, {@code
 *       _seconds}, {@code _bytes}).
 *   <li><b>Base units</b>: time in {@link io.micrometer.core.instrument.Timer Timer}s (exposed in
 *       seconds), sizes in bytes ({@code baseUnit("bytes")}), never milliseconds in a name.
 *   <li><b>Tags</b> have few values: a status class or code, a reason from a fixed set, a revision
 *       (bounded by the revisions one component serves). Never a pod IP, path, user agent or
 *       anything else chosen per request.
 *   <li><b>Register once</b>: build meters when the component starts and keep them in fields. For
 *       keyed meters (per revision), cache them in a {@code ConcurrentMap} and remove them with the
 *       key. Never call {@code registry.counter(name, tags...)} per request.
 *   <li><b>Gauges</b> read an existing {@code AtomicInteger}, {@code LongAdder} or a method such as
 *       {@code Breaker::inFlight}; keep a strong reference to the observed object.
 *   <li><b>Latency</b>: {@code Timer.builder(..).publishPercentileHistogram()} bounded with {@code
 *       minimumExpectedValue}/{@code maximumExpectedValue}, or explicit {@code
 *       serviceLevelObjectives} (e.g. Knative's invocation-duration buckets); no client-side
 *       percentiles.
 * </ul>
 */
package dev.knetty.common.metrics;
