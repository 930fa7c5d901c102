package dev.knetty.dist.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How to start a JVM on this JVM's class path (the knetty jar, or a test class path): local mode's
 * queue-proxies and the demo's sample app run the same code as the process that starts them.
 *
 * @param java the {@code java} executable
 * @param classPath the class path
 */
record JavaRuntime(Path java, String classPath) {

  JavaRuntime {
    Objects.requireNonNull(java, "java");
    Objects.requireNonNull(classPath, "classPath");
  }

  /** This JVM's {@code java} and class path. */
  static JavaRuntime current() {
    return new JavaRuntime(
        Path.of(System.getProperty("java.home"), "bin", "java"),
        System.getProperty("java.class.path"));
  }

  /** {@code java <jvmOptions> -cp <class path> <mainClass> <args>}. */
  List<String> command(List<String> jvmOptions, String mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    command.addAll(args);
    return command;
  }
}
