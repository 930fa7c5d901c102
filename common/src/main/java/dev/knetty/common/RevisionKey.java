package dev.knetty.common;

import java.util.Objects;

/**
 * A revision's identity: namespace and name, written {@code namespace/name} (Knative's {@code
 * types.NamespacedName}). Both parts are DNS-1123 labels of at most 63 characters.
 */
public record RevisionKey(String namespace, String name) implements Comparable<RevisionKey> {

  public RevisionKey {
    checkLabel("namespace", namespace);
    checkLabel("name", name);
  }

  /** Parses {@code namespace/name}. */
  public static RevisionKey parse(String value) {
    Objects.requireNonNull(value, "value");
    int slash = value.indexOf('/');
    if (slash < 0 || value.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException("revision: " + value + " (expected: <namespace>/<name>)");
    }
    return new RevisionKey(value.substring(0, slash), value.substring(slash + 1));
  }

  @Override
  public int compareTo(RevisionKey other) {
    int c = namespace.compareTo(other.namespace);
    return c != 0 ? c : name.compareTo(other.name);
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }

  private static void checkLabel(String what, String value) {
    Objects.requireNonNull(value, what);
    if (!isDnsLabel(value)) {
      throw new IllegalArgumentException(
          what
              + ": "
              + value
              + " (expected: 1 to 63 lower-case letters, digits or '-', starting and ending"
              + " with a letter or digit)");
    }
  }

  /** Whether {@code value} is a DNS-1123 label. */
  public static boolean isDnsLabel(String value) {
    int n = value.length();
    if (n == 0 || n > 63) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && (c != '-' || i == 0 || i == n - 1)) {
        return false;
      }
    }
    return true;
  }
}
