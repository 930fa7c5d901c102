package dev.knetty.dist.local;

import java.util.ArrayList;
import java.util.List;

/** A process and its descendants: an app started through {@code sh -c} is more than one process. */
final class ProcessTree {

  private ProcessTree() {}

  /** {@code root} and its descendants now, the root first. */
  static List<ProcessHandle> of(ProcessHandle root) {
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(root);
    root.descendants().forEach(tree::add);
    return tree;
  }

  /** SIGTERM to every process of {@code tree} that still runs. */
  static void terminate(List<ProcessHandle> tree) {
    tree.forEach(ProcessHandle::destroy);
  }

  /** SIGKILL to every process of {@code tree} that still runs, and to their descendants. */
  static void kill(List<ProcessHandle> tree) {
    for (ProcessHandle p : tree) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }
}
