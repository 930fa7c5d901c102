package dev.knetty.common.kmp;

import java.util.List;

/**
 * A batch of stats: what a client reports in one go (usually one reporting tick) and what the
 * server's listener receives per STATS frame. A large batch travels as several frames and arrives
 * as several batches.
 *
 * <p>A batch is a snapshot: while the client cannot write, a newer batch replaces a pending one.
 * Put everything of one tick in one batch.
 *
 * @param stats the stats, in order; immutable
 */
public record StatBatch(List<Stat> stats) implements KmpMessage {

  public StatBatch {
    stats = List.copyOf(stats);
  }

  /** A batch of the given stats. */
  public static StatBatch of(Stat... stats) {
    return new StatBatch(List.of(stats));
  }

  /** The number of stats. */
  public int size() {
    return stats.size();
  }
}
