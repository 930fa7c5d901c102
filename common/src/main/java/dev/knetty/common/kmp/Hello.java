package dev.knetty.common.kmp;

import java.util.Objects;

/**
 * The HELLO frame: the first frame each side sends. The client (a {@link Role#QUEUE_PROXY} or an
 * {@link Role#ACTIVATOR}) sends it right after connecting; the server answers a HELLO it accepts
 * with its own HELLO ({@link Role#AUTOSCALER}), or with an {@link ErrorMessage} and a close.
 *
 * <p>The last three fields are limits the <em>sender</em> announces for what it accepts; the
 * receiver must respect them when it writes to the sender.
 *
 * @param major the protocol major version of the sender; a different major is refused
 * @param minor the protocol minor version of the sender
 * @param role who the sender is
 * @param podName the sender's pod name (Knative's {@code SERVING_POD}), 1 to 253 characters
 * @param podIp the sender's pod IP as text, at most 253 characters, may be empty when unknown
 * @param heartbeatIntervalMillis the sender writes at least one frame per this many milliseconds
 * @param maxFrameLength the largest frame the sender accepts, length prefix included
 * @param maxDictionaryEntries the most entries the sender accepts per dictionary
 */
public record Hello(
    int major,
    int minor,
    Role role,
    String podName,
    String podIp,
    int heartbeatIntervalMillis,
    int maxFrameLength,
    int maxDictionaryEntries)
    implements KmpMessage {

  public Hello {
    Checks.range("major", major, 0, 0xFFFF);
    Checks.range("minor", minor, 0, 0xFFFF);
    Objects.requireNonNull(role, "role");
    Checks.name("podName", podName, 1);
    Checks.name("podIp", podIp, 0);
    Checks.atLeast("heartbeatIntervalMillis", heartbeatIntervalMillis, 1);
    Checks.atLeast("maxFrameLength", maxFrameLength, KmpProtocol.MIN_MAX_FRAME_LENGTH);
    Checks.atLeast("maxDictionaryEntries", maxDictionaryEntries, 1);
  }

  /** A HELLO of this implementation's protocol version. */
  public static Hello of(
      Role role,
      String podName,
      String podIp,
      int heartbeatIntervalMillis,
      int maxFrameLength,
      int maxDictionaryEntries) {
    return new Hello(
        KmpProtocol.MAJOR_VERSION,
        KmpProtocol.MINOR_VERSION,
        role,
        podName,
        podIp,
        heartbeatIntervalMillis,
        maxFrameLength,
        maxDictionaryEntries);
  }

  /** {@code major.minor}, for messages. */
  public String version() {
    return major + "." + minor;
  }
}
