package dev.knetty.bench.scenario;

import java.io.IOException;
import java.net.URI;

/**
 * One scrape of a component's Prometheus {@code /metrics} text, read by metric name: how a scenario
 * learns what a child process sees (waiting requests, heap in use) without a client library.
 */
public final class PrometheusScrape {

  private final String text;

  PrometheusScrape(String text) {
    this.text = text;
  }

  /**
   * Scrapes {@code http://127.0.0.1:<port>/metrics}.
   *
   * @throws IOException if it does not answer 200
   */
  public static PrometheusScrape of(int port) throws IOException, InterruptedException {
    return new PrometheusScrape(
        Components.fetch(URI.create("http://127.0.0.1:" + port + "/metrics")));
  }

  /**
   * The sum of every sample of {@code name} whose labels contain {@code labelMatch} (e.g. {@code
   * area="heap"}; empty: all); NaN if there is none.
   */
  public double sum(String name, String labelMatch) {
    double sum = 0;
    boolean found = false;
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      int end = name.length();
      if (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
        continue; // a longer name with this prefix
      }
      int space = line.lastIndexOf(' ');
      if (!labelMatch.isEmpty() && !line.substring(end, space).contains(labelMatch)) {
        continue;
      }
      try {
        sum += Double.parseDouble(line.substring(space + 1).trim());
        found = true;
      } catch (NumberFormatException e) {
        // Not a sample line of this metric; ignore it.
      }
    }
    return found ? sum : Double.NaN;
  }
}
