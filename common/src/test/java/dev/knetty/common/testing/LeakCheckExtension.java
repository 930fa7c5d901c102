package dev.knetty.common.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer. Registered for every test class of every
 * module through {@code META-INF/services} and JUnit's extension auto-detection (enabled in the
 * parent pom). Leaks found before a class starts came from an earlier class in the same JVM whose
 * buffers were collected late; they fail the build all the same.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {

  @Override
  public void beforeAll(ExtensionContext context) {
    LeakChecks.assertDetectionInstalled();
    fail(LeakChecks.collectLeaks(), "before " + context.getDisplayName() + " (an earlier class)");
  }

  @Override
  public void afterAll(ExtensionContext context) {
    fail(LeakChecks.collectLeaks(), "in " + context.getDisplayName());
  }

  private static void fail(List<String> leaks, String where) {
    if (!leaks.isEmpty()) {
      throw new AssertionError(
          leaks.size() + " buffer leak(s) reported " + where + ":\n" + String.join("\n", leaks));
    }
  }
}
