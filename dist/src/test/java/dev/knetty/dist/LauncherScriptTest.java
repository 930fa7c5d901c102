package dev.knetty.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.queueproxy.SidecarJvmOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code bin/knetty} is a shell script: what it shares with the Java code is checked here. */
class LauncherScriptTest {

  @Test
  void theSidecarJvmOptionsAreTheQueueProxysOwn() throws IOException {
    String script = Files.readString(Path.of("..", "bin", "knetty"));
    Matcher m = Pattern.compile("(?m)^qp_opts=\"([^\"]*)\"").matcher(script);
    assertThat(m.find()).as("qp_opts in bin/knetty").isTrue();

    String[] options = m.group(1).replace("\\\n", " ").trim().split("\\s+");

    assertThat(Arrays.asList(options)).isEqualTo(SidecarJvmOptions.OPTIONS);
  }
}
