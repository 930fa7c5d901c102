package dev.knetty.dist.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {

  @Test
  void handsOutEachBindablePortOnceUntilReleased() {
    Set<Integer> taken = Set.of(101);
    Ports ports = new Ports(100, 103, p -> !taken.contains(p));

    Set<Integer> got = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      got.add(ports.allocate());
    }
    assertThat(got).containsExactlyInAnyOrder(100, 102, 103);
    assertThat(ports.inUse()).isEqualTo(3);
    assertThatThrownBy(ports::allocate)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("no free loopback port in 100-103 (3 used by pods)");

    ports.release(102);
    assertThat(ports.allocate()).isEqualTo(102);
    ports.release(-1); // nothing allocated: ignored
    assertThat(ports.inUse()).isEqualTo(3);
  }

  @Test
  void theDefaultRangeIsBelowTheEphemeralRanges() {
    assertThat(Ports.LAST).isLessThan(32_768);
    int port = new Ports().allocate();
    assertThat(port).isBetween(Ports.FIRST, Ports.LAST);
  }

  @Test
  void aBadRangeIsRejected() {
    assertThatThrownBy(() -> new Ports(10, 5, p -> true))
        .hasMessage("ports: 10-5 (expected: a range within 1-65535)");
  }
}
