package dev.knetty.bench.load;

/**
 * What one reporting interval of the measured phase saw (latencies of successful requests).
 *
 * @param seconds the interval's end, in seconds since the end of the warm-up
 * @param requests requests completed in the interval (successes and errors)
 * @param errors failed requests completed in the interval
 */
public record IntervalSample(
    double seconds,
    long requests,
    long errors,
    double p50Millis,
    double p99Millis,
    double maxMillis) {}
