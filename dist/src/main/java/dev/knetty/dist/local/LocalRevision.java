package dev.knetty.dist.local;

import dev.knetty.autoscaler.server.RevisionSpec;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionScaling;
import dev.knetty.common.config.RevisionSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One revision run by local mode, validated: how to start its app, and the settings of its pods and
 * of its autoscaling.
 *
 * @param key the revision
 * @param command the app's command line (a shell string is already {@code sh -c <string>}); the app
 *     reads its port from {@code PORT}
 * @param env extra environment of the app
 * @param workingDir the app's working directory
 * @param settings containerConcurrency and the request timeouts (the user port is unused: each pod
 *     gets a free one)
 * @param annotations the {@code autoscaling.knative.dev/*} annotations, as written
 * @param scaling the autoscaling settings they resolve to (initial scale, bounds)
 */
record LocalRevision(
    RevisionKey key,
    List<String> command,
    Map<String, String> env,
    Path workingDir,
    RevisionSettings settings,
    Map<String, String> annotations,
    RevisionScaling scaling) {

  LocalRevision {
    Objects.requireNonNull(key, "key");
    command = List.copyOf(command);
    if (command.isEmpty()) {
      throw new IllegalArgumentException("command: [] (expected: a program and its arguments)");
    }
    env = Map.copyOf(env);
    Objects.requireNonNull(workingDir, "workingDir");
    Objects.requireNonNull(settings, "settings");
    annotations = Map.copyOf(annotations);
    Objects.requireNonNull(scaling, "scaling");
  }

  /** What the autoscaler needs of it. */
  RevisionSpec spec() {
    return RevisionSpec.of(key, settings.containerConcurrency(), annotations);
  }

  /** How it is shown: {@code name} in the default namespace, else {@code namespace/name}. */
  String displayName() {
    return key.namespace().equals(LocalFile.DEFAULT_NAMESPACE) ? key.name() : key.toString();
  }
}
