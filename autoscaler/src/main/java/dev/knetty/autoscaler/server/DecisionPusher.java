package dev.knetty.autoscaler.server;

import dev.knetty.autoscaler.Decision;
import dev.knetty.autoscaler.DecisionListener;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.kmp.Decisions;
import dev.knetty.common.kmp.KmpPeer;
import dev.knetty.common.subset.ConsistentSubset;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes the autoscaler's decisions to the connected activators over KMP, with each activator's
 * share of Knative's two-level subsetting:
 *
 * <ol>
 *   <li>The revision's activators are {@code ChooseSubset(all activator IPs, numActivators,
 *       revision name)} ({@link ConsistentSubset}), all of them when {@code numActivators} is 0 or
 *       at least their number: what Knative's SKS puts in the revision's public endpoints.
 *   <li>An activator in that subset gets {@code activatorIndex} = its IP's position among the
 *       subset's IPs sorted as strings and {@code activatorCount} = the subset's size (Knative's
 *       {@code inferIndex}); an activator outside it gets index -1 (Knative's initial state: it
 *       uses all pods, and receives the revision's traffic only if it is sent there anyway).
 * </ol>
 *
 * <p>An activator's IP is its HELLO's {@code podIp}, or its connection's remote address when that
 * is empty. Decisions are recomputed on the scheduler, never on an event loop: a changed revision
 * ({@link #onDecision}, a changed containerConcurrency) is marked and one push task sends what
 * changed; a connecting or leaving activator changes every subset, so everything is recomputed. Per
 * activator, only decisions that differ from what it was last sent go out, so a newly connected
 * activator receives the full set at once and the others only what moved; removed revisions go out
 * as removals. {@link KmpPeer#send} keeps the latest per revision while a connection is slow.
 */
final class DecisionPusher implements DecisionListener {

  private static final Logger LOG = LoggerFactory.getLogger(DecisionPusher.class);

  /** A revision's state as the activators need it. */
  private static final class Revision {
    volatile Decision decision; // null until the multiscaler's first decision
    volatile int containerConcurrency;

    Revision(int containerConcurrency) {
      this.containerConcurrency = containerConcurrency;
    }
  }

  /** A connected activator and what it was sent; guarded by the pusher. */
  private static final class Activator {
    final KmpPeer peer;
    final String ip;
    final Map<RevisionKey, dev.knetty.common.kmp.Decision> sent = new HashMap<>();

    Activator(KmpPeer peer, String ip) {
      this.peer = peer;
      this.ip = ip;
    }
  }

  private final Executor executor;
  private final ConcurrentHashMap<RevisionKey, Revision> revisions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<KmpPeer, Activator> activators = new ConcurrentHashMap<>();
  private final Set<RevisionKey> dirty = ConcurrentHashMap.newKeySet();
  private final Set<RevisionKey> removed = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean everything = new AtomicBoolean();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  // Guarded by this: the pushers' view of the activators.
  private final List<Activator> pushedTo = new ArrayList<>();
  private List<String> activatorIps = List.of();

  /**
   * @param executor runs the push task (the autoscaler's scheduler)
   */
  DecisionPusher(Executor executor) {
    this.executor = executor;
  }

  // --- inputs, from any thread ---

  /** A revision exists, or its containerConcurrency changed. */
  void upserted(RevisionKey key, int containerConcurrency) {
    Revision rev = revisions.computeIfAbsent(key, k -> new Revision(containerConcurrency));
    if (rev.containerConcurrency != containerConcurrency) {
      rev.containerConcurrency = containerConcurrency;
      changed(key);
    }
  }

  /** A revision is gone: the activators are told to forget it. */
  void removed(RevisionKey key) {
    if (revisions.remove(key) != null) {
      removed.add(key);
      schedule();
    }
  }

  /** The multiscaler's new decision; on the scheduler, under the revision's lock: just mark it. */
  @Override
  public void onDecision(Decision decision) {
    Revision rev = revisions.get(decision.key());
    if (rev != null) {
      rev.decision = decision;
      changed(decision.key());
    }
  }

  /** An activator completed its KMP handshake (on its event loop). */
  void activatorConnected(KmpPeer peer) {
    activators.put(peer, new Activator(peer, ipOf(peer)));
    everything.set(true);
    schedule();
  }

  /** An activator's connection closed (on its event loop). */
  void activatorDisconnected(KmpPeer peer) {
    if (activators.remove(peer) != null) {
      everything.set(true);
      schedule();
    }
  }

  /** Connected activators. */
  int activatorCount() {
    return activators.size();
  }

  /** The activators fronting {@code key} now, sorted as strings. */
  synchronized List<String> subset(RevisionKey key) {
    Revision rev = revisions.get(key);
    Decision d = rev == null ? null : rev.decision;
    return d == null ? List.of() : subset(key, d.activators(), currentIps());
  }

  private void changed(RevisionKey key) {
    dirty.add(key);
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        executor.execute(this::push);
      } catch (RejectedExecutionException e) {
        scheduled.set(false); // shutting down
      }
    }
  }

  // --- the push task, on the scheduler ---

  synchronized void push() {
    scheduled.set(false);
    boolean all = everything.getAndSet(false);
    List<RevisionKey> changedKeys = drain(dirty);
    List<RevisionKey> removedKeys = drain(removed);
    if (all) {
      pushedTo.clear();
      pushedTo.addAll(activators.values());
      activatorIps = currentIps();
    }
    if (pushedTo.isEmpty()) {
      return;
    }
    // Per activator, at most one entry per revision, the last one wins: a decision, or null for a
    // removal.
    Map<Activator, Map<RevisionKey, dev.knetty.common.kmp.Decision>> out = new HashMap<>();
    for (Activator a : pushedTo) {
      out.put(a, new LinkedHashMap<>());
    }
    for (RevisionKey key : removedKeys) {
      if (!revisions.containsKey(key)) { // not added again meanwhile
        for (Activator a : pushedTo) {
          if (a.sent.remove(key) != null) {
            out.get(a).put(key, null);
          }
        }
      }
    }
    if (all) {
      revisions.forEach((key, rev) -> offer(key, rev, out));
      // Anything sent earlier that no longer exists (a removal raced with this push).
      for (Activator a : pushedTo) {
        for (Iterator<RevisionKey> it = a.sent.keySet().iterator(); it.hasNext(); ) {
          RevisionKey key = it.next();
          if (!revisions.containsKey(key)) {
            it.remove();
            out.get(a).put(key, null);
          }
        }
      }
    } else {
      for (RevisionKey key : changedKeys) {
        Revision rev = revisions.get(key);
        if (rev != null) {
          offer(key, rev, out);
        }
      }
    }
    out.forEach(this::send);
  }

  /**
   * Adds each activator's decision for {@code key} to its entries of {@code out} when it differs
   * from what that activator was last sent. The subset is computed once for all of them.
   */
  private void offer(
      RevisionKey key,
      Revision rev,
      Map<Activator, Map<RevisionKey, dev.knetty.common.kmp.Decision>> out) {
    Decision d = rev.decision;
    if (d == null) {
      return; // not decided yet
    }
    List<String> subset = subset(key, d.activators(), activatorIps);
    out.forEach(
        (a, entries) -> {
          dev.knetty.common.kmp.Decision next =
              new dev.knetty.common.kmp.Decision(
                  key,
                  d.desiredScale(),
                  d.excessBurstCapacity(),
                  subset.size(),
                  subset.indexOf(a.ip), // the subset is sorted: the index Knative infers
                  rev.containerConcurrency);
          if (!next.equals(a.sent.put(key, next))) {
            entries.put(key, next);
          }
        });
  }

  private void send(Activator a, Map<RevisionKey, dev.knetty.common.kmp.Decision> entries) {
    if (entries.isEmpty()) {
      return;
    }
    List<dev.knetty.common.kmp.Decision> decisions = new ArrayList<>(entries.size());
    List<RevisionKey> gone = new ArrayList<>();
    entries.forEach(
        (key, decision) -> {
          if (decision == null) {
            gone.add(key);
          } else {
            decisions.add(decision);
          }
        });
    try {
      a.peer.send(new Decisions(decisions, gone));
    } catch (RuntimeException e) {
      LOG.warn("Pushing decisions to {} failed: {}", a.peer, e.toString());
    }
  }

  /** Knative's SKS subset: all when n is 0 or covers everyone, else ChooseSubset. */
  private static List<String> subset(RevisionKey key, int n, List<String> ips) {
    return n == 0 || n >= ips.size() ? ips : ConsistentSubset.choose(ips, n, key.name());
  }

  /** The distinct IPs of the connected activators, sorted as Go sorts strings. */
  private List<String> currentIps() {
    Set<String> ips = new TreeSet<>(ConsistentSubset.GO_ORDER);
    for (Activator a : activators.values()) {
      ips.add(a.ip);
    }
    return List.copyOf(ips);
  }

  static String ipOf(KmpPeer peer) {
    String ip = peer.hello().podIp();
    if (!ip.isEmpty()) {
      return ip;
    }
    SocketAddress remote = peer.remoteAddress();
    return remote instanceof InetSocketAddress && ((InetSocketAddress) remote).getAddress() != null
        ? ((InetSocketAddress) remote).getAddress().getHostAddress()
        : String.valueOf(remote);
  }

  private static <T> List<T> drain(Collection<T> from) {
    List<T> taken = new ArrayList<>();
    for (Iterator<T> it = from.iterator(); it.hasNext(); ) {
      taken.add(it.next());
      it.remove();
    }
    return taken;
  }
}
