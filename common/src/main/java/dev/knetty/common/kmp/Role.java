package dev.knetty.common.kmp;

/** Who is at the other end of a KMP connection, as announced in its {@link Hello}. */
public enum Role {
  /** A queue-proxy sidecar: pushes the per-second stat of its pod. */
  QUEUE_PROXY(1),
  /** An activator: pushes per-revision stats, receives {@link Decisions}. */
  ACTIVATOR(2),
  /** The autoscaler: the server; receives stats, sends decisions. */
  AUTOSCALER(3);

  private final int code;

  Role(int code) {
    this.code = code;
  }

  /** The wire code of this role (one byte). */
  public int code() {
    return code;
  }

  /** The role of a wire code, or {@code null} for a code this version does not know. */
  static Role fromCode(int code) {
    for (Role role : values()) {
      if (role.code == code) {
        return role;
      }
    }
    return null;
  }
}
