package dev.knetty.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RevisionKeyTest {

  @Test
  void parsesAndPrintsNamespaceSlashName() {
    RevisionKey key = RevisionKey.parse("default/hello-00001");
    assertThat(key.namespace()).isEqualTo("default");
    assertThat(key.name()).isEqualTo("hello-00001");
    assertThat(key).hasToString("default/hello-00001");
  }

  @Test
  void rejectsWhatIsNotTwoDnsLabels() {
    assertThatThrownBy(() -> RevisionKey.parse("hello"))
        .hasMessage("revision: hello (expected: <namespace>/<name>)");
    assertThatThrownBy(() -> RevisionKey.parse("a/b/c")).hasMessageContaining("a/b/c");
    assertThatThrownBy(() -> new RevisionKey("default", "Hello"))
        .hasMessageStartingWith("name: Hello (expected:");
    assertThatThrownBy(() -> new RevisionKey("-x", "a")).hasMessageStartingWith("namespace: -x");
    assertThatThrownBy(() -> new RevisionKey("x", "a".repeat(64))).hasMessageContaining("63");
  }

  @Test
  void ordersByNamespaceThenName() {
    assertThat(new RevisionKey("a", "z")).isLessThan(new RevisionKey("b", "a"));
    assertThat(new RevisionKey("a", "a")).isLessThan(new RevisionKey("a", "b"));
  }
}
