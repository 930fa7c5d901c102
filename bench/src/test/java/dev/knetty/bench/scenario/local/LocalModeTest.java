package dev.knetty.bench.scenario.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.knetty.bench.sampleapp.SampleApp;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalModeTest {

  @Test
  void theFileHasTheClusterSettingsAndRevisionsRunningTheSampleAppOnPort() throws Exception {
    String yaml =
        LocalMode.yaml(
            List.of(
                new LocalMode.Revision("a", 0, Map.of("autoscaling.knative.dev/window", "6s")),
                new LocalMode.Revision("b", 10, Map.of())),
            List.of("-Xmx64m"),
            Map.of("scale-to-zero-grace-period", "6s"));
    JsonNode file = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    assertThat(file.get("autoscaler").get("scale-to-zero-grace-period").asText()).isEqualTo("6s");
    JsonNode a = file.get("revisions").get(0);
    assertThat(a.get("name").asText()).isEqualTo("a");
    assertThat(a.get("namespace").asText()).isEqualTo("default");
    assertThat(a.get("containerConcurrency").asInt()).isZero();
    assertThat(a.get("annotations").get("autoscaling.knative.dev/window").asText()).isEqualTo("6s");
    List<String> command = new ArrayList<>();
    a.get("command").forEach(arg -> command.add(arg.asText()));
    assertThat(command).contains("-Xmx64m", SampleApp.class.getName(), "--host=127.0.0.1");
    assertThat(command).noneMatch(arg -> arg.startsWith("--port")); // $PORT decides
    JsonNode b = file.get("revisions").get(1);
    assertThat(b.get("containerConcurrency").asInt()).isEqualTo(10);
    assertThat(b.has("annotations")).isFalse();
  }

  @Test
  void revisionNamesMustBeDnsLabels() {
    assertThatThrownBy(() -> new LocalMode.Revision("Bad_Name", 0, Map.of()))
        .hasMessage("name: Bad_Name (expected: a DNS label)");
  }

  @Test
  void parsesDesiredAndReadyPodsOfTheDefaultNamespace() throws Exception {
    Map<String, LocalMode.Pods> pods =
        LocalMode.parse(
            "{\"revisions\": [{\"namespace\": \"default\", \"name\": \"a\", \"desiredScale\": 3,"
                + " \"readyPods\": 2, \"mode\": \"Serve\"}, {\"namespace\": \"other\", \"name\":"
                + " \"b\", \"desiredScale\": 1, \"readyPods\": 1}, {\"namespace\": \"default\","
                + " \"name\": \"c\", \"desiredScale\": -1}]}");
    assertThat(pods)
        .containsOnlyKeys("a", "c")
        .containsEntry("a", new LocalMode.Pods("a", 3, 2))
        .containsEntry("c", new LocalMode.Pods("c", -1, 0));
    assertThatThrownBy(() -> LocalMode.parse("{\"items\": []}"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no 'revisions' list");
  }
}
