package dev.knetty.common.stats;

import static dev.knetty.common.stats.RequestStats.Event.PROXIED_IN;
import static dev.knetty.common.stats.RequestStats.Event.PROXIED_OUT;
import static dev.knetty.common.stats.RequestStats.Event.REQ_IN;
import static dev.knetty.common.stats.RequestStats.Event.REQ_OUT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Knative's {@code request_test.go} cases (times in milliseconds from the start), with exact
 * equality as upstream compares, plus edge cases of our own.
 */
class RequestStatsTest {

  private static final long MS = 1_000_000L;

  private final RequestStats stats = new RequestStats(0);
  private final List<RequestStatsReport> reports = new ArrayList<>();

  private void in(long ms) {
    stats.handleEvent(REQ_IN, ms * MS);
  }

  private void out(long ms) {
    stats.handleEvent(REQ_OUT, ms * MS);
  }

  private void inP(long ms) {
    stats.handleEvent(PROXIED_IN, ms * MS);
  }

  private void outP(long ms) {
    stats.handleEvent(PROXIED_OUT, ms * MS);
  }

  private void report(long ms) {
    reports.add(stats.report(ms * MS));
  }

  private static RequestStatsReport plain(double avg, long count) {
    return new RequestStatsReport(avg, 0, count, 0);
  }

  @Test
  void noRequests() {
    report(1000);
    assertThat(reports).containsExactly(plain(0, 0));
  }

  @Test
  void oneRequestTheEntireTime() {
    in(0);
    out(1000);
    report(1000);
    assertThat(reports).containsExactly(plain(1, 1));
  }

  @Test
  void oneRequestHalfTheTime() {
    in(0);
    out(3000);
    report(6000);
    assertThat(reports).containsExactly(plain(0.5, 1));
  }

  @Test
  void veryShortRequest() {
    in(0);
    out(1);
    report(1000);
    assertThat(reports).containsExactly(plain(1.0 / 1000, 1));
  }

  @Test
  void threeRequestsFillTheEntireTime() {
    in(0);
    out(300);
    in(300);
    out(600);
    in(600);
    out(1000);
    report(1000);
    assertThat(reports).containsExactly(plain(1, 3));
  }

  @Test
  void interleavedRequests() {
    in(0);
    in(100);
    out(600);
    out(1000);
    report(1000);
    assertThat(reports).containsExactly(plain(1.5, 2));
  }

  @Test
  void requestAcrossReporting() {
    in(0);
    report(1000);
    out(1500);
    report(2000);
    assertThat(reports).containsExactly(plain(1, 1), plain(0.5, 0));
  }

  @Test
  void requestAcrossMultipleReportings() {
    in(0);
    report(1000);
    report(2000);
    report(3000);
    out(3500);
    report(4000);
    assertThat(reports).containsExactly(plain(1, 1), plain(1, 0), plain(1, 0), plain(0.5, 0));
  }

  @Test
  void oneProxiedRequestTheEntireTime() {
    inP(0);
    outP(1000);
    report(1000);
    assertThat(reports).containsExactly(new RequestStatsReport(1, 1, 1, 1));
  }

  @Test
  void oneProxiedRequestHalfTheTime() {
    inP(0);
    outP(500);
    report(1000);
    assertThat(reports).containsExactly(new RequestStatsReport(0.5, 0.5, 1, 1));
  }

  @Test
  void proxiedAndDirectRequests() {
    inP(0);
    in(0);
    outP(500);
    out(1000);
    report(1000);
    assertThat(reports).containsExactly(new RequestStatsReport(1.5, 0.5, 2, 1));
  }

  @Test
  void ignoresNegativeDurations() {
    in(500);
    in(499);
    out(1000);
    out(999);
    report(1000);
    assertThat(reports).containsExactly(plain(1, 2));
  }

  // --- Our own cases.

  @Test
  void timeGoingBackwardsAddsNothingButTheEventCounts() {
    in(1000);
    in(200); // earlier than the last change: no integration, still one more in flight
    report(2000); // 2 in flight for 1 s of the 2 s window
    assertThat(reports).containsExactly(plain(1, 2));

    report(1500); // the report itself earlier than the last change
    assertThat(reports.get(1)).isEqualTo(plain(0, 0));
    report(2500); // 2 in flight for 0.5 s since the last change at 2000
    assertThat(reports.get(2)).isEqualTo(plain(2, 0));
  }

  @Test
  void aWindowCoveringNoTimeHasZeroAveragesButCountsRequests() {
    inP(0);
    report(0);
    assertThat(reports).containsExactly(new RequestStatsReport(0, 0, 1, 1));
  }

  @Test
  void proxiedEventsCountInBothTotals() {
    inP(0);
    inP(0);
    in(0);
    outP(1000);
    report(1000);
    // 3 in flight, 2 of them proxied, for the whole second; one proxied one has left.
    assertThat(reports).containsExactly(new RequestStatsReport(3, 2, 3, 2));
    report(2000); // 1 proxied + 1 direct remain
    assertThat(reports.get(1)).isEqualTo(new RequestStatsReport(2, 1, 0, 0));
  }

  @Test
  void concurrencyCarriesAcrossWindowsAndCountsReset() {
    in(0);
    in(0);
    report(1000);
    out(1000);
    report(2000);
    out(2250);
    in(2500);
    report(3000);
    assertThat(reports)
        .containsExactly(plain(2, 2), plain(1, 0), new RequestStatsReport(0.75, 0, 1, 0));
  }

  @Test
  void eventsFromManyThreadsAreAllCounted() throws Exception {
    int threads = 4;
    int perThread = 10_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    stats.handleEvent(i % 2 == 0 ? REQ_IN : PROXIED_IN, MS);
                    stats.handleEvent(i % 2 == 0 ? REQ_OUT : PROXIED_OUT, MS);
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    // Everything happened at 1 ms with nothing in flight before: no concurrency left over.
    RequestStatsReport r = stats.report(2 * MS);
    assertThat(r.requestCount()).isEqualTo(threads * perThread);
    assertThat(r.proxiedRequestCount()).isEqualTo(threads * perThread / 2);
    assertThat(r.averageConcurrency()).isZero();
  }
}
