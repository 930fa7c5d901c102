package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.kmp.Decision;
import dev.knetty.common.proxy.UpstreamTarget;
import java.util.List;
import org.junit.jupiter.api.Test;

class RevisionEntryTest {

  private static final RevisionKey KEY = RevisionKey.parse("default/hello");

  @Test
  void theSourcesActivatorIndexWinsOverTheDecisionsUntilTheSourceForgetsIt() {
    RevisionEntry rev =
        new RevisionEntry(
            KEY, new RevisionSettings(1, 300, 0, 0, 8080), ActivatorConfig.builder().build());
    rev.throttler.updatePods(
        List.of(
            UpstreamTarget.of("10.0.0.1", 8012),
            UpstreamTarget.of("10.0.0.2", 8012),
            UpstreamTarget.of("10.0.0.3", 8012),
            UpstreamTarget.of("10.0.0.4", 8012)));
    assertThat(rev.throttler.assignedPods()).isEqualTo(4); // index unknown: all pods

    rev.decision(new Decision(KEY, 1, 0, 2, 0, 1));
    assertThat(rev.throttler.assignedPods()).isEqualTo(2); // 1 of 2 activators

    rev.sourceSubset(3, 4);
    assertThat(rev.throttler.assignedPods()).isEqualTo(1); // the public slice: 1 of 4
    rev.decision(new Decision(KEY, 1, 0, 2, 1, 1));
    assertThat(rev.throttler.assignedPods()).isEqualTo(1);

    rev.sourceSubset(-1, 0);
    assertThat(rev.throttler.assignedPods()).isEqualTo(2); // back to the decision's
    rev.decision(null);
    assertThat(rev.throttler.assignedPods()).isEqualTo(4);
  }
}
