/**
 * JMH microbenchmarks of the hot paths: the queue-proxy's per-request policy ({@link
 * dev.knetty.bench.jmh.QueueProxyPolicyBenchmark}), Knative's breaker ({@link
 * dev.knetty.bench.jmh.BreakerBenchmark}), request statistics ({@link
 * dev.knetty.bench.jmh.RequestStatsBenchmark}), header checks ({@link
 * dev.knetty.bench.jmh.KnativeHeadersBenchmark}), KMP encode and decode ({@link
 * dev.knetty.bench.jmh.KmpBenchmark}) and the autoscaler's bucket aggregation ({@link
 * dev.knetty.bench.jmh.DeciderBenchmark}). Run them from the dist jar: {@code bin/knetty bench jmh
 * [regex] [JMH options]} (see docs/benchmarks.md); they are not part of the test build.
 */
package dev.knetty.bench.jmh;
