package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Knative's concurrency reporter logic (§2.7), on a clock the test moves. */
class ConcurrencyReporterTest {

  private static final long SECOND = 1_000_000_000L;
  private static final RevisionKey REV = RevisionKey.parse("default/hello");
  private static final RevisionKey OTHER = RevisionKey.parse("default/world");

  private final AtomicLong nanos = new AtomicLong(1_000 * SECOND);
  private final List<StatBatch> sent = new ArrayList<>();
  private final AtomicInteger immediate = new AtomicInteger();
  private final ConcurrencyReporter reporter =
      new ConcurrencyReporter(
          "activator-0",
          sent::add,
          nanos::get,
          () -> 1_767_225_600_000L,
          immediate::incrementAndGet);

  private Stat only(StatBatch batch, RevisionKey key) {
    return batch.stats().stream().filter(s -> s.revision().equals(key)).findFirst().orElseThrow();
  }

  @Test
  void theFirstRequestOfAnIdleRevisionIsReportedAtOnce() {
    reporter.requestIn(REV);

    assertThat(sent).hasSize(1);
    Stat stat = sent.get(0).stats().get(0);
    assertThat(stat.revision()).isEqualTo(REV);
    assertThat(stat.podName()).isEqualTo("activator-0");
    assertThat(stat.averageConcurrency()).isEqualTo(1.0);
    assertThat(stat.requestCount()).isEqualTo(1.0);
    assertThat(stat.averageProxiedConcurrency()).isZero();
    assertThat(stat.proxiedRequestCount()).isZero();
    assertThat(stat.timestampMillis()).isEqualTo(1_767_225_600_000L);
    assertThat(immediate).hasValue(1);

    reporter.requestIn(REV);
    assertThat(sent).as("only the first request is reported at once").hasSize(1);
  }

  @Test
  void theNextTickSubtractsTheFirstRequest() {
    ConcurrencyReporter.Entry a = reporter.requestIn(REV);
    ConcurrencyReporter.Entry b = reporter.requestIn(REV);
    nanos.addAndGet(SECOND);
    reporter.report();

    // Two requests in flight all second: average 2, count 2; minus the one reported at once.
    Stat stat = only(sent.get(1), REV);
    assertThat(stat.averageConcurrency()).isEqualTo(1.0);
    assertThat(stat.requestCount()).isEqualTo(1.0);

    nanos.addAndGet(SECOND);
    reporter.report();
    stat = only(sent.get(2), REV);
    assertThat(stat.averageConcurrency()).as("no more adjustment").isEqualTo(2.0);
    assertThat(stat.requestCount()).isZero();
    reporter.requestOut(a);
    reporter.requestOut(b);
  }

  @Test
  void theAdjustedConcurrencyIsNeverNegative() {
    ConcurrencyReporter.Entry e = reporter.requestIn(REV);
    nanos.addAndGet(SECOND / 4);
    reporter.requestOut(e);
    nanos.addAndGet(3 * SECOND / 4);
    reporter.report();

    Stat stat = only(sent.get(1), REV);
    assertThat(stat.averageConcurrency()).isZero(); // 0.25 - 1
    assertThat(stat.requestCount()).isZero(); // 1 - 1
  }

  @Test
  void anIdleRevisionIsForgottenSoItsNextRequestIsReportedAtOnceAgain() {
    ConcurrencyReporter.Entry e = reporter.requestIn(REV);
    nanos.addAndGet(SECOND);
    reporter.requestOut(e);
    reporter.report(); // average 1: kept
    assertThat(reporter.revisions()).isEqualTo(1);

    nanos.addAndGet(SECOND);
    reporter.report(); // average 0, no request: deleted (after reporting it)
    assertThat(only(sent.get(2), REV).averageConcurrency()).isZero();
    assertThat(reporter.revisions()).isZero();

    reporter.requestIn(REV);
    assertThat(sent).hasSize(4);
    assertThat(only(sent.get(3), REV).averageConcurrency()).isEqualTo(1.0);
    assertThat(immediate).hasValue(2);
  }

  @Test
  void aRevisionWithARequestInFlightIsKeptEvenAtAverageZero() {
    nanos.addAndGet(SECOND);
    ConcurrencyReporter.Entry e = reporter.requestIn(REV);
    // The tick lands at the very instant of arrival: the window covered no time.
    reporter.report();

    assertThat(reporter.revisions()).isEqualTo(1);
    reporter.requestIn(REV);
    assertThat(sent).as("no second immediate stat").hasSize(2);
    reporter.requestOut(e);
  }

  @Test
  void oneBatchPerTickCoversEveryRevision() {
    reporter.requestIn(REV);
    reporter.requestIn(OTHER);
    nanos.addAndGet(SECOND);
    sent.clear();

    reporter.report();

    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).stats())
        .extracting(Stat::revision)
        .containsExactlyInAnyOrder(REV, OTHER);
  }

  @Test
  void nothingIsSentWithoutRevisions() {
    reporter.report();
    assertThat(sent).isEmpty();
  }
}
