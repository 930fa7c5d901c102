package dev.knetty.common.stats;

/**
 * What {@link RequestStats#report(long)} measured over one reporting window (Knative's {@code
 * RequestStatsReport}).
 *
 * @param averageConcurrency time-weighted average number of requests in flight over the time the
 *     window covered: two requests of 500 ms each in a 1 s window average 1
 * @param averageProxiedConcurrency the same for proxied requests only (those the activator sent)
 * @param requestCount requests that arrived in the window, proxied ones included
 * @param proxiedRequestCount proxied requests that arrived in the window
 */
public record RequestStatsReport(
    double averageConcurrency,
    double averageProxiedConcurrency,
    long requestCount,
    long proxiedRequestCount) {}
