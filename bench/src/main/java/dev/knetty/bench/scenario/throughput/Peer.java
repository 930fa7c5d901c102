package dev.knetty.bench.scenario.throughput;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A reverse proxy the queue-proxy is compared with: how to find its binary, render its
 * configuration template ({@code bench/peers/}, packaged as {@code dev/knetty/bench/peers/}) and
 * run it in the foreground.
 */
enum Peer {
  HAPROXY("haproxy", "haproxy.cfg", List.of("-v")),
  NGINX("nginx", "nginx.conf", List.of("-v")),
  CADDY("caddy", "Caddyfile", List.of("version"));

  /** Where Debian and most distributions put daemons, even when not on a user's PATH. */
  private static final List<String> EXTRA_DIRS =
      List.of("/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin", "/sbin", "/bin");

  private final String binary;
  private final String template;
  private final List<String> versionArgs;

  Peer(String binary, String template, List<String> versionArgs) {
    this.binary = binary;
    this.template = template;
    this.versionArgs = versionArgs;
  }

  /** The target id and binary name, e.g. {@code haproxy}. */
  String id() {
    return binary;
  }

  /**
   * The executable: {@code override} if given (it must be an executable file), else {@code
   * <binary>} on {@code PATH} or in the usual system directories.
   *
   * @return empty when not installed (or the override is not executable)
   */
  Optional<Path> locate(Path override, String path) {
    if (override != null) {
      return Files.isRegularFile(override) && Files.isExecutable(override)
          ? Optional.of(override)
          : Optional.empty();
    }
    Set<String> dirs = new LinkedHashSet<>();
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        if (!dir.isEmpty()) {
          dirs.add(dir);
        }
      }
    }
    dirs.addAll(EXTRA_DIRS);
    for (String dir : dirs) {
      Path candidate = Path.of(dir, binary);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * The first line the binary prints about its version, e.g. {@code nginx version: nginx/1.22.1}.
   */
  String version(Path executable) {
    List<String> command = new ArrayList<>();
    command.add(executable.toString());
    command.addAll(versionArgs);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      String first = out.lines().findFirst().orElse("").trim();
      return first.isEmpty() ? "unknown version" : first;
    } catch (IOException e) {
      return "unknown version (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown version";
    }
  }

  /** The configuration template with {@code values} filled in ({@code {{NAME}}} placeholders). */
  String render(Map<String, String> values) {
    String text;
    try (InputStream in = Peer.class.getResourceAsStream("/dev/knetty/bench/peers/" + template)) {
      if (in == null) {
        throw new IllegalStateException(
            "peer configuration " + template + " is not on the class path (bench/peers/)");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Map.Entry<String, String> v : values.entrySet()) {
      text = text.replace("{{" + v.getKey() + "}}", v.getValue());
    }
    int left = text.indexOf("{{");
    if (left >= 0) {
      throw new IllegalStateException(
          template
              + ": placeholder "
              + text.substring(left, Math.min(text.length(), text.indexOf("}}", left) + 2))
              + " has no value");
    }
    return text;
  }

  /** The file name of the rendered configuration in the run's directory. */
  String configFileName() {
    return template;
  }

  /** The foreground command that runs this peer with {@code config}, in {@code dir}. */
  List<String> command(Path executable, Path config, Path dir) {
    String exe = executable.toString();
    switch (this) {
      case HAPROXY:
        return List.of(exe, "-db", "-f", config.toString());
      case NGINX:
        return List.of(exe, "-e", "stderr", "-p", dir.toString(), "-c", config.toString());
      default:
        return List.of(exe, "run", "--adapter", "caddyfile", "--config", config.toString());
    }
  }

  /** Environment of the peer process: Caddy's thread count and where it may write files. */
  Map<String, String> environment(int threads, Path dir) {
    if (this != CADDY) {
      return Map.of();
    }
    return Map.of(
        "GOMAXPROCS",
        Integer.toString(threads),
        "XDG_CONFIG_HOME",
        dir.resolve("caddy-config").toString(),
        "XDG_DATA_HOME",
        dir.resolve("caddy-data").toString());
  }

  /** The peer named {@code id} ({@code haproxy}, {@code nginx}, {@code caddy}), or null. */
  static Peer byId(String id) {
    for (Peer p : values()) {
      if (p.id().equals(id.toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    return null;
  }
}
