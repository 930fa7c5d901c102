package dev.knetty.common.kmp;

/**
 * Constants of the Knetty metrics protocol (KMP), version {@value #MAJOR_VERSION}.{@value
 * #MINOR_VERSION}. The byte-exact specification is {@code docs/protocol.md}.
 */
public final class KmpProtocol {

  private KmpProtocol() {}

  /** The major version this implementation speaks; peers of another major are refused. */
  public static final int MAJOR_VERSION = 1;

  /** The minor version this implementation speaks; newer minors only add skippable data. */
  public static final int MINOR_VERSION = 0;

  /** The first four bytes of every HELLO and ERROR body: ASCII {@code "KMP!"}. */
  public static final int MAGIC = 0x4B4D5021;

  /** The default TCP port of the autoscaler's KMP server. */
  public static final int DEFAULT_PORT = 9095;

  /** The default and the smallest allowed maximum frame length, 4-byte length prefix included. */
  public static final int DEFAULT_MAX_FRAME_LENGTH = 1 << 20;

  public static final int MIN_MAX_FRAME_LENGTH = 4096;

  /** The default maximum number of entries of each dictionary, per direction, per connection. */
  public static final int DEFAULT_MAX_DICTIONARY_ENTRIES = 65_536;

  /** The longest pod name (a Kubernetes DNS subdomain) and pod IP text, in characters. */
  public static final int MAX_NAME_LENGTH = 253;

  /** The longest string any KMP decoder accepts, in UTF-8 bytes. */
  public static final int MAX_STRING_BYTES = 1024;
}
