package dev.knetty.autoscaler.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * End to end on a real Kubernetes (K3s in Docker): the chart installs, the example revision gets
 * its queue-proxy, goes to zero, and one request brings it back through the activator.
 *
 * <p>Opt-in: {@code mvn -pl autoscaler -am verify -Pk3s}. Needs a Docker engine (without one the
 * class is skipped) and the three images, built first from the repository root:
 *
 * <pre>
 * docker build -f dist/docker/Dockerfile --target autoscaler  -t knetty-autoscaler:it  .
 * docker build -f dist/docker/Dockerfile --target activator   -t knetty-activator:it   .
 * docker build -f dist/docker/Dockerfile --target queue-proxy -t knetty-queue-proxy:it .
 * </pre>
 *
 * They are copied into K3s's containerd, so nothing is pulled for them ({@code -Dknetty.it.tag}
 * changes the tag). K3s and curl images are pulled from Docker Hub.
 */
@Testcontainers(disabledWithoutDocker = true)
class ScaleFromZeroK3sIT {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String TAG = System.getProperty("knetty.it.tag", "it");
  private static final List<String> IMAGES =
      List.of("knetty-autoscaler", "knetty-activator", "knetty-queue-proxy");
  private static final Duration WAIT = Duration.ofMinutes(5);

  private static K3sContainer k3s;
  private static KubernetesClient client;

  @TempDir static Path tmp;

  @BeforeAll
  static void cluster() throws Exception {
    k3s = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));
    k3s.start();
    DockerClient docker = DockerClientFactory.instance().client();
    for (String image : IMAGES) {
      Path tar = tmp.resolve(image + ".tar");
      try (InputStream saved = docker.saveImageCmd(image + ":" + TAG).exec()) {
        Files.copy(saved, tar, StandardCopyOption.REPLACE_EXISTING);
      }
      k3s.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/" + image + ".tar");
      ExecResult imported =
          k3s.execInContainer("ctr", "-n", "k8s.io", "images", "import", "/tmp/" + image + ".tar");
      assertThat(imported.getExitCode()).as(imported.getStderr()).isZero();
    }
    client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml()))
            .build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (k3s != null) {
      k3s.stop();
    }
  }

  @Test
  void aRevisionGoesToZeroAndOneRequestBringsItBack() throws Exception {
    Path kubeconfig = Files.writeString(tmp.resolve("kubeconfig"), k3s.getKubeConfigYaml());
    new Helm(ROOT.resolve("charts/knetty"))
        .install()
        .withName("knetty")
        .withNamespace("knetty-system")
        .createNamespace()
        .withKubeConfig(kubeconfig)
        .withValuesFile(ROOT.resolve("examples/kubernetes/demo-values.yaml"))
        .set("image.registry", "")
        .set("image.tag", TAG)
        .set("image.pullPolicy", "Never")
        .set("queueProxy.image.pullPolicy", "Never")
        .waitReady()
        .withTimeout((int) WAIT.toSeconds())
        .call();

    // The example revision, on the image loaded above.
    List<HasMetadata> example;
    try (InputStream yaml = Files.newInputStream(ROOT.resolve("examples/kubernetes/hello.yaml"))) {
      example = client.load(yaml).items();
    }
    Deployment hello = (Deployment) example.get(0);
    Container app = hello.getSpec().getTemplate().getSpec().getContainers().get(0);
    app.setImage("knetty-autoscaler:" + TAG);
    app.setImagePullPolicy("Never");
    client.apps().deployments().inNamespace("default").resource(hello).create();

    // The webhook injected the queue-proxy, the pod became ready behind the private Service.
    await()
        .atMost(WAIT)
        .until(
            () ->
                client
                    .pods()
                    .inNamespace("default")
                    .withLabel(KnettyKeys.REVISION_LABEL, "hello-1")
                    .list()
                    .getItems()
                    .stream()
                    .anyMatch(
                        p ->
                            p.getSpec().getContainers().stream()
                                .anyMatch(c -> c.getName().equals("queue-proxy"))));
    await()
        .atMost(WAIT)
        .until(() -> client.services().inNamespace("default").withName("hello-1").get() != null);

    // Without traffic: to zero (demo values: 20 s stable window, 10 s grace).
    await().atMost(WAIT).until(() -> replicas() == 0);

    // One request through the public Service: the activator holds it, the revision scales up.
    Pod curl =
        client
            .pods()
            .inNamespace("default")
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("curl")
                    .endMetadata()
                    .withNewSpec()
                    .withRestartPolicy("Never")
                    .addNewContainer()
                    .withName("curl")
                    .withImage("curlimages/curl:8.11.1")
                    .withArgs(
                        "-sS", "-m", "240", "-w", "\n%{http_code}\n", "http://hello-1.default.svc/")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              Pod p = client.pods().inNamespace("default").withName("curl").get();
              return p != null && "Succeeded".equals(p.getStatus().getPhase());
            });
    String log =
        client.pods().inNamespace("default").withName(curl.getMetadata().getName()).getLog();
    assertThat(log.strip()).endsWith("200");
    assertThat(replicas()).isGreaterThanOrEqualTo(1);
  }

  private static int replicas() {
    Deployment d = client.apps().deployments().inNamespace("default").withName("hello").get();
    return d.getSpec().getReplicas();
  }
}
