package dev.knetty.common.subset;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Knative's consistent subset selection, {@code hash.ChooseSubset} of {@code knative.dev/pkg}
 * ({@code hash/hash.go}), reproduced exactly so that every component picks the same activators for
 * a revision: FNV-64a hashes placed on a ring of {@value #UNIVERSE} slots, a start angle and a step
 * angle derived from the target, collisions resolved by re-hashing with the hex of the previous
 * hash appended.
 *
 * <p>Knative uses it for the first level of activator subsetting (which activators front a
 * revision: {@code ChooseSubset(activator IPs, numActivators, revision name)}); the second level
 * (which pods each of them uses) needs each activator's position in that subset, {@link #indexOf}.
 *
 * <p>Strings are compared and hashed as UTF-8 bytes, as Go does.
 */
public final class ConsistentSubset {

  private ConsistentSubset() {}

  /** The number of angles on the ring ({@code universe}, 2^11). */
  public static final int UNIVERSE = 1 << 11;

  static final String START_SALT = "start-angle-salt";
  static final String STEP_SALT = "step-angle-salt";

  private static final long FNV64_OFFSET_BASIS = 0xcbf29ce484222325L;
  private static final long FNV64_PRIME = 0x100000001b3L;

  /** Go's string order: byte-wise over the UTF-8 encoding (for ASCII, {@link String} order). */
  public static final Comparator<String> GO_ORDER =
      (a, b) ->
          Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  /**
   * {@code ChooseSubset(from, n, target)}: consistently chooses {@code n} of the distinct strings
   * of {@code from}, seeded by {@code target}. When {@code n} is at least the number of distinct
   * strings, all of them; when {@code n <= 0}, none.
   *
   * @return the chosen strings, distinct, sorted in {@link #GO_ORDER} (Knative returns a set)
   * @throws IllegalArgumentException if fewer are to be chosen than there are, and there are more
   *     than {@value #UNIVERSE} (Knative would loop forever)
   */
  public static List<String> choose(Collection<String> from, int n, String target) {
    Objects.requireNonNull(target, "target");
    TreeSet<String> distinct = new TreeSet<>(GO_ORDER);
    for (String s : from) {
      distinct.add(Objects.requireNonNull(s, "from element"));
    }
    List<String> sorted = new ArrayList<>(distinct);
    if (n >= sorted.size()) {
      return sorted;
    }
    if (sorted.size() > UNIVERSE) {
      // Knative's loop would never find a free slot.
      throw new IllegalArgumentException(
          "from: " + sorted.size() + " distinct values (expected: at most " + UNIVERSE + ")");
    }
    Ring ring = new Ring(sorted, target);
    BitSet selected = new BitSet(sorted.size());
    int count = 0;
    int angle = ring.start;
    int size = ring.slots.length;
    while (count < n) {
      int root = lowerBound(ring.slots, angle);
      if (root == size) {
        root = 0; // wrap around
      }
      while (selected.get(root)) { // taken: the next one on the ring
        root = root + 1 == size ? 0 : root + 1;
      }
      selected.set(root);
      count++;
      angle = (angle + ring.step) % UNIVERSE;
    }
    List<String> chosen = new ArrayList<>(count);
    for (int i = selected.nextSetBit(0); i >= 0; i = selected.nextSetBit(i + 1)) {
      chosen.add(ring.names[ring.slots[i]]);
    }
    chosen.sort(GO_ORDER);
    return chosen;
  }

  /**
   * Knative's activator {@code inferIndex}: the position of {@code member} among {@code subset}
   * sorted in {@link #GO_ORDER}, or -1 when it is not in it.
   */
  public static int indexOf(Collection<String> subset, String member) {
    Objects.requireNonNull(member, "member");
    boolean found = false;
    int before = 0;
    for (String s : new HashSet<>(subset)) {
      if (s.equals(member)) {
        found = true;
      } else if (GO_ORDER.compare(s, member) < 0) {
        before++;
      }
    }
    return found ? before : -1;
  }

  /** Go's {@code hash/fnv} 64-bit FNV-1a of {@code bytes}. */
  static long fnv64a(byte[] bytes) {
    long h = FNV64_OFFSET_BASIS;
    for (byte b : bytes) {
      h ^= b & 0xff;
      h *= FNV64_PRIME;
    }
    return h;
  }

  /** {@code h % universe} for an unsigned 64-bit {@code h}: the universe is a power of two. */
  static int slot(long h) {
    return (int) (h & (UNIVERSE - 1));
  }

  /** The first index whose slot is {@code >= angle} ({@code sort.Search}); the length if none. */
  private static int lowerBound(int[] slots, int angle) {
    int lo = 0;
    int hi = slots.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (slots[mid] >= angle) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** {@code buildHashes}: every name's slot on the ring, the start and the step angle. */
  static final class Ring {
    final int start;
    final int step;

    /** Occupied slots, ascending. */
    final int[] slots;

    /** The name in each slot. */
    final String[] names = new String[UNIVERSE];

    /**
     * @param sorted distinct names in {@link #GO_ORDER}: the order decides collisions
     */
    Ring(List<String> sorted, String target) {
      start = slot(fnv64a(utf8(target + START_SALT)));
      step = slot(fnv64a(utf8(target + STEP_SALT)));
      slots = new int[sorted.size()];
      int i = 0;
      for (String name : sorted) {
        StringBuilder key = new StringBuilder(name).append(target);
        long h = fnv64a(utf8(key.toString()));
        int s = slot(h);
        while (names[s] != null) {
          // Two names in one slot: feed the hash back in as a salt, in hex, until free.
          key.append(Long.toUnsignedString(h, 16));
          h = fnv64a(utf8(key.toString()));
          s = slot(h);
        }
        names[s] = name;
        slots[i++] = s;
      }
      Arrays.sort(slots);
    }

    private static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
  }
}
