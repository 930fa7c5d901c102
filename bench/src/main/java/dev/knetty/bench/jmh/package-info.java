/**
 * JMH microbenchmarks of the queue-proxy's per-request path: the policy ({@link
 * dev.knetty.bench.jmh.QueueProxyPolicyBenchmark}), Knative's breaker ({@link
 * dev.knetty.bench.jmh.BreakerBenchmark}) and request statistics ({@link
 * dev.knetty.bench.jmh.RequestStatsBenchmark}). Run them from the dist jar: {@code bin/knetty bench
 * jmh [regex] [JMH options]} (see docs/benchmarks.md); they are not part of the test build.
 */
package dev.knetty.bench.jmh;
