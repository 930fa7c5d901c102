package dev.knetty.autoscaler.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.knetty.autoscaler.kubernetes.webhook.WebhookConfig;
import dev.knetty.autoscaler.server.AutoscalerCommand;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.RevisionAnnotations;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionScaling;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The Helm chart, rendered by real Helm (helm-java bundles it as a native library): it lints, it
 * renders with default and other values, and the manifests give the code what it needs.
 */
class HelmChartTest {

  private static final Path CHART = Path.of("..", "charts", "knetty").toAbsolutePath().normalize();
  private static final String NS = "knetty-system";
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  @TempDir Path tmp;

  /** The rendered manifests of one release. */
  private record Manifests(List<HasMetadata> items) {

    <T extends HasMetadata> List<T> all(Class<T> type) {
      return items.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type, String name) {
      return all(type).stream()
          .filter(i -> i.getMetadata().getName().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    List<GenericKubernetesResource> ofKind(String kind) {
      return all(GenericKubernetesResource.class).stream()
          .filter(r -> r.getKind().equals(kind))
          .toList();
    }

    Set<String> kinds() {
      return items.stream().map(HasMetadata::getKind).collect(Collectors.toSet());
    }
  }

  private Manifests render(String release, String valuesYaml) throws Exception {
    Path values = tmp.resolve(release + "-values.yaml");
    Files.writeString(values, valuesYaml);
    String yaml =
        new Helm(CHART)
            .template()
            .withName(release)
            .withNamespace(NS)
            .withValuesFile(values)
            .call();
    Object parsed = SERIALIZATION.unmarshal(yaml);
    assertThat(parsed).isInstanceOf(List.class);
    @SuppressWarnings("unchecked")
    List<HasMetadata> items = (List<HasMetadata>) parsed;
    return new Manifests(items);
  }

  private static Container container(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  /** The container's environment as the pod would see it (fieldRef namespace resolved). */
  private static Map<String, String> env(Container c) {
    Map<String, String> env = new HashMap<>();
    for (EnvVar e : c.getEnv()) {
      if (e.getValueFrom() == null) {
        env.put(e.getName(), e.getValue() == null ? "" : e.getValue());
      } else {
        String field = e.getValueFrom().getFieldRef().getFieldPath();
        env.put(e.getName(), FIELDS.getOrDefault(field, "?"));
      }
    }
    return env;
  }

  /** What the downward API would give a pod of the release. */
  private static final Map<String, String> FIELDS =
      Map.of(
          "metadata.namespace", NS,
          "metadata.name", "knetty-autoscaler-7d9f8-abcde",
          "status.podIP", "10.0.0.7");

  /** An environment that remembers which variables were read. */
  private static final class ReadEnvironment extends AbstractMap<String, String> {
    private final Map<String, String> env;
    final Set<String> read = new HashSet<>();

    ReadEnvironment(Map<String, String> env) {
      this.env = env;
    }

    @Override
    public String get(Object key) {
      read.add(String.valueOf(key));
      return env.get(key);
    }

    @Override
    public Set<Map.Entry<String, String>> entrySet() {
      return env.entrySet();
    }
  }

  /** The variables the autoscaler command's options fall back to. */
  private static Set<String> commandVariables() {
    Set<String> names = new HashSet<>();
    Pattern variable = Pattern.compile("\\$\\{env:([A-Z0-9_]+)");
    CommandSpec command = new CommandLine(new AutoscalerCommand()).getCommandSpec();
    command.interpolateVariables(false); // the ${env:...} expressions as written
    for (OptionSpec o : command.options()) {
      String dflt = o.defaultValue();
      if (dflt != null) {
        Matcher m = variable.matcher(dflt);
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }

  private static int containerPort(Container c, String name) {
    return c.getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + name));
  }

  private static ServicePort servicePort(Service s, String name) {
    return s.getSpec().getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no service port " + name));
  }

  private static PolicyRule rule(List<PolicyRule> rules, String group, String resource) {
    List<PolicyRule> matching =
        rules.stream()
            .filter(r -> r.getApiGroups().contains(group) && r.getResources().contains(resource))
            .toList();
    assertThat(matching).as("rules for %s/%s", group, resource).hasSize(1);
    return matching.get(0);
  }

  @Test
  void lintPasses() {
    LintResult result = new Helm(CHART).lint().strict().call();

    assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
  }

  @Test
  void defaultRenderGivesTheCodeWhatItNeeds() throws Exception {
    Manifests m = render("knetty", "{}\n");

    assertThat(m.kinds())
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "ConfigMap",
            "MutatingWebhookConfiguration",
            "Secret");

    // Autoscaler: cluster-wide rules, exactly the verbs the code uses.
    List<PolicyRule> cluster = m.one(ClusterRole.class, "knetty-autoscaler").getRules();
    assertThat(rule(cluster, "apps", "deployments").getVerbs())
        .containsExactlyInAnyOrder("get", "list", "watch");
    assertThat(rule(cluster, "apps", "deployments/scale").getVerbs()).containsExactly("update");
    assertThat(rule(cluster, "discovery.k8s.io", "endpointslices").getVerbs())
        .containsExactlyInAnyOrder("get", "list", "watch", "create", "update");
    assertThat(rule(cluster, "", "services").getVerbs())
        .containsExactlyInAnyOrder("get", "list", "watch", "create", "update");
    assertThat(rule(cluster, "", "events").getVerbs()).containsExactly("create");
    assertThat(cluster).noneMatch(r -> r.getResources().contains("pods"));
    assertThat(cluster).noneMatch(r -> r.getVerbs().contains("delete"));
    PolicyRule mwcRule =
        rule(cluster, "admissionregistration.k8s.io", "mutatingwebhookconfigurations");
    assertThat(mwcRule.getVerbs()).containsExactlyInAnyOrder("get", "patch");
    assertThat(mwcRule.getResourceNames()).containsExactly("knetty-webhook");
    assertThat(cluster).noneMatch(r -> r.getResources().contains("secrets"));

    // Autoscaler: namespaced rules for the Lease and the generated certificate.
    List<PolicyRule> local = m.one(Role.class, "knetty-autoscaler").getRules();
    assertThat(local)
        .filteredOn(r -> r.getResources().contains("leases"))
        .extracting(PolicyRule::getVerbs, PolicyRule::getResourceNames)
        .containsExactlyInAnyOrder(
            tuple(List.of("create"), List.of()),
            tuple(List.of("get", "update"), List.of("knetty-autoscaler-leader")));
    PolicyRule secrets = rule(local, "", "secrets");
    assertThat(secrets.getVerbs()).containsExactlyInAnyOrder("get", "update");
    assertThat(secrets.getResourceNames()).containsExactly("knetty-webhook-certs");
    assertThat(m.one(RoleBinding.class, "knetty-autoscaler").getSubjects().get(0).getName())
        .isEqualTo("knetty-autoscaler");

    // Activator: read-only.
    assertThat(m.one(ClusterRole.class, "knetty-activator").getRules())
        .allSatisfy(r -> assertThat(r.getVerbs()).isSubsetOf("get", "list", "watch"))
        .anySatisfy(r -> assertThat(r.getResources()).contains("endpointslices"));

    // The autoscaler Deployment: 2 replicas, its ServiceAccount, identity from the pod name.
    Deployment autoscaler = m.one(Deployment.class, "knetty-autoscaler");
    Container as = container(autoscaler);
    assertThat(autoscaler.getSpec().getReplicas()).isEqualTo(2);
    assertThat(autoscaler.getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo("knetty-autoscaler");
    assertThat(as.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("KNETTY_POD_NAME");
              assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
            });
    assertThat(env(as))
        .containsEntry("KNETTY_LEADER_ELECTION_LEASE_NAME", "knetty-autoscaler-leader");
    assertThat(as.getReadinessProbe()).isNotNull();
    assertThat(as.getLivenessProbe()).isNotNull();
    assertThat(as.getResources().getRequests()).containsKeys("cpu", "memory");

    // Services and ports: KMP without selector (the leader publishes itself), the rest on every
    // replica.
    Service kmpSvc = m.one(Service.class, "knetty-autoscaler");
    assertThat(kmpSvc.getSpec().getSelector()).isNullOrEmpty();
    assertThat(kmpSvc.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo(KmpEndpoint.PORT_NAME);
              assertThat(p.getPort()).isEqualTo(9095);
            });
    Service asSvc = m.one(Service.class, "knetty-webhook");
    assertThat(servicePort(asSvc, "https-webhook").getPort()).isEqualTo(443);
    assertThat(servicePort(asSvc, "https-webhook").getTargetPort().getStrVal())
        .isEqualTo("webhook");
    assertThat(servicePort(asSvc, "admin").getPort()).isEqualTo(8080);
    assertThat(servicePort(asSvc, "metrics").getPort()).isEqualTo(9091);
    assertThat(containerPort(as, "kmp")).isEqualTo(9095);
    assertThat(containerPort(as, "webhook")).isEqualTo(8443);
    assertThat(containerPort(as, "admin")).isEqualTo(8080);
    assertThat(containerPort(as, "metrics")).isEqualTo(9091);
    assertThat(asSvc.getSpec().getSelector())
        .containsAllEntriesOf(autoscaler.getSpec().getSelector().getMatchLabels());
    Deployment activator = m.one(Deployment.class, "knetty-activator");
    Service actSvc = m.one(Service.class, "knetty-activator");
    assertThat(servicePort(actSvc, "http").getPort()).isEqualTo(80);
    assertThat(servicePort(actSvc, "http").getTargetPort().getStrVal()).isEqualTo("http");
    assertThat(containerPort(container(activator), "http")).isEqualTo(8012);
    assertThat(containerPort(container(activator), "metrics")).isEqualTo(9091);
    assertThat(env(as)).containsEntry("KNETTY_ACTIVATOR_SERVICE", "knetty-activator");

    // Activator: HPA on CPU with at least 2 replicas, and a PDB.
    HorizontalPodAutoscaler hpa = m.one(HorizontalPodAutoscaler.class, "knetty-activator");
    assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
    assertThat(hpa.getSpec().getMetrics().get(0).getResource().getName()).isEqualTo("cpu");
    assertThat(activator.getSpec().getReplicas()).isNull();
    assertThat(m.all(PodDisruptionBudget.class))
        .extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("knetty-autoscaler", "knetty-activator");

    // The webhook configuration points at the autoscaler Service and sees only revision pods.
    MutatingWebhook webhook =
        m.one(MutatingWebhookConfiguration.class, "knetty-webhook").getWebhooks().get(0);
    assertThat(webhook.getFailurePolicy()).isEqualTo("Ignore");
    assertThat(webhook.getSideEffects()).isEqualTo("None");
    assertThat(webhook.getTimeoutSeconds()).isEqualTo(10);
    assertThat(webhook.getAdmissionReviewVersions()).containsExactly("v1");
    assertThat(webhook.getObjectSelector().getMatchExpressions())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getKey()).isEqualTo(KnettyKeys.REVISION_LABEL);
              assertThat(e.getOperator()).isEqualTo("Exists");
            });
    assertThat(webhook.getRules().get(0).getOperations()).containsExactly("CREATE");
    assertThat(webhook.getRules().get(0).getResources()).containsExactly("pods");
    assertThat(webhook.getClientConfig().getService().getName()).isEqualTo("knetty-webhook");
    assertThat(webhook.getClientConfig().getService().getNamespace()).isEqualTo(NS);
    assertThat(webhook.getClientConfig().getService().getPath()).isEqualTo("/mutate");
    assertThat(webhook.getClientConfig().getService().getPort()).isEqualTo(443);
    assertThat(webhook.getClientConfig().getCaBundle()).isNull();
    assertThat(m.one(Secret.class, "knetty-webhook-certs").getData()).isNullOrEmpty();

    // The webhook reads its configuration from the env the chart sets, consistently.
    WebhookConfig config = WebhookConfig.fromEnvironment(env(as));
    assertThat(config.port()).isEqualTo(containerPort(as, "webhook"));
    assertThat(config.tls().mode()).isEqualTo(WebhookConfig.CertMode.GENERATE);
    assertThat(config.tls().serviceName()).isEqualTo("knetty-webhook");
    assertThat(config.tls().serviceNamespace()).isEqualTo(NS);
    assertThat(config.tls().webhookConfigurationName()).isEqualTo("knetty-webhook");
    assertThat(config.tls().secretName()).isEqualTo("knetty-webhook-certs");
    assertThat(config.queueProxy().image()).isEqualTo("ghcr.io/knetty/knetty-queue-proxy:0.1.0");
    assertThat(config.queueProxy().autoscalerAddress())
        .isEqualTo("knetty-autoscaler.knetty-system.svc.cluster.local:9095");
    assertThat(config.queueProxy().cpuRequest()).isEqualTo("25m");
    assertThat(config.queueProxy().cpuLimit()).isEmpty();
    assertThat(config.revisionDefaults()).isEqualTo(RevisionDefaults.defaults());
    assertThat(env(container(activator)))
        .containsEntry(
            "KNETTY_AUTOSCALER", "knetty-autoscaler.knetty-system.svc.cluster.local:9095");
  }

  @Test
  void everyVariableTheChartSetsOnTheAutoscalerIsReadByTheCode() throws Exception {
    Manifests m = render("knetty", "{}\n");
    Deployment autoscaler = m.one(Deployment.class, "knetty-autoscaler");
    Map<String, String> env = env(container(autoscaler));

    ReadEnvironment read = new ReadEnvironment(env);
    KubernetesConfig k8s = KubernetesConfig.fromEnvironment(read);
    WebhookConfig.fromEnvironment(read);
    Set<String> known = new HashSet<>(read.read);
    known.addAll(commandVariables());
    known.add("JAVA_TOOL_OPTIONS"); // the JVM's

    assertThat(env.keySet()).allSatisfy(name -> assertThat(known).contains(name));
    assertThat(env).containsEntry("KNETTY_KUBERNETES", "true");

    // And they mean what the chart means.
    assertThat(k8s.namespace()).isEqualTo(NS);
    assertThat(k8s.podName()).isEqualTo(FIELDS.get("metadata.name"));
    assertThat(k8s.podIp()).isEqualTo(FIELDS.get("status.podIP"));
    assertThat(k8s.allNamespaces()).isTrue();
    assertThat(k8s.leaseName()).isEqualTo("knetty-autoscaler-leader");
    assertThat(k8s.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(k8s.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(k8s.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(k8s.activatorService()).isEqualTo("knetty-activator");
    m.one(Service.class, k8s.activatorService());
    assertThat(k8s.kmpService()).isEqualTo("knetty-autoscaler");
    assertThat(m.one(Service.class, k8s.kmpService()).getSpec().getSelector()).isNullOrEmpty();
    assertThat(WebhookConfig.fromEnvironment(env).queueProxy().autoscalerAddress())
        .startsWith(k8s.kmpService() + "." + NS + ".svc." + k8s.clusterDomain() + ":");
    // The config-autoscaler ConfigMap is the directory --config reads.
    String configPath = env.get("KNETTY_CONFIG_AUTOSCALER");
    assertThat(container(autoscaler).getVolumeMounts())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo("config-autoscaler");
              assertThat(v.getMountPath()).isEqualTo(configPath);
            });
    assertThat(autoscaler.getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("config-autoscaler"))
        .singleElement()
        .satisfies(v -> assertThat(v.getConfigMap().getName()).isEqualTo("config-autoscaler"));
    m.one(ConfigMap.class, "config-autoscaler");

    // A namespaced install watches its namespace only.
    Map<String, String> namespaced =
        env(
            container(
                render("scoped", "autoscaler:\n  watchNamespace: apps\n")
                    .one(Deployment.class, "scoped-knetty-autoscaler")));
    assertThat(KubernetesConfig.fromEnvironment(namespaced).watchNamespace()).isEqualTo("apps");
  }

  @Test
  void theKubernetesExampleIsAValidRevisionUnderTheDemoValues() throws Exception {
    Path examples = CHART.resolve("../../examples/kubernetes").normalize();
    Deployment hello =
        SERIALIZATION.unmarshal(Files.readString(examples.resolve("hello.yaml")), Deployment.class);
    String revision = hello.getMetadata().getLabels().get(KnettyKeys.REVISION_LABEL);
    Map<String, String> annotations = hello.getSpec().getTemplate().getMetadata().getAnnotations();

    assertThat(revision).isEqualTo("hello-1");
    assertThat(hello.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry(KnettyKeys.REVISION_LABEL, revision);
    assertThat(hello.getSpec().getSelector().getMatchLabels())
        .containsEntry(KnettyKeys.REVISION_LABEL, revision);
    KnettyAnnotations.Read read =
        KnettyAnnotations.read(annotations, RevisionDefaults.defaults(), 8080);
    assertThat(read.warnings()).isEmpty();
    assertThat(read.settings().containerConcurrency()).isEqualTo(20);

    Map<String, String> demo =
        render("demo", Files.readString(examples.resolve("demo-values.yaml")))
            .one(ConfigMap.class, "config-autoscaler")
            .getData();
    AutoscalerConfig config = AutoscalerConfig.fromMap(demo);
    assertThat(config.stableWindow()).isEqualTo(Duration.ofSeconds(20));
    RevisionScaling.derive(
        config,
        RevisionAnnotations.parse(annotations, config),
        read.settings().containerConcurrency(),
        true);
  }

  @Test
  void configAutoscalerHasEveryKnativeKeyWithItsDefault() throws Exception {
    ConfigMap cm = render("knetty", "{}\n").one(ConfigMap.class, "config-autoscaler");

    assertThat(cm.getData())
        .containsExactlyInAnyOrderEntriesOf(
            Map.ofEntries(
                Map.entry("enable-scale-to-zero", "true"),
                Map.entry("container-concurrency-target-percentage", "70"),
                Map.entry("container-concurrency-target-default", "100"),
                Map.entry("requests-per-second-target-default", "200"),
                Map.entry("target-burst-capacity", "211"),
                Map.entry("stable-window", "60s"),
                Map.entry("panic-window-percentage", "10.0"),
                Map.entry("panic-threshold-percentage", "200.0"),
                Map.entry("max-scale-up-rate", "1000.0"),
                Map.entry("max-scale-down-rate", "2.0"),
                Map.entry("activator-capacity", "100.0"),
                Map.entry("scale-to-zero-grace-period", "30s"),
                Map.entry("scale-to-zero-pod-retention-period", "0s"),
                Map.entry("scale-down-delay", "0s"),
                Map.entry("initial-scale", "1"),
                Map.entry("allow-zero-initial-scale", "false"),
                Map.entry("min-scale", "0"),
                Map.entry("max-scale", "0"),
                Map.entry("max-scale-limit", "0"),
                Map.entry("pod-autoscaler-class", "kpa.autoscaling.knative.dev")));
  }

  @Test
  void otherValuesRenderCertManagerServiceMonitorAndReplicas() throws Exception {
    Manifests m =
        render(
            "edge",
            String.join(
                "\n",
                "autoscaler:",
                "  replicas: 3",
                "activator:",
                "  replicas: 4",
                "  autoscaling:",
                "    enabled: false",
                "serviceMonitor:",
                "  enabled: true",
                "  labels:",
                "    release: prometheus",
                "webhook:",
                "  failurePolicy: Fail",
                "  certificates:",
                "    mode: certManager",
                "queueProxy:",
                "  resources:",
                "    limits:",
                "      memory: 200Mi",
                "revisionDefaults:",
                "  timeoutSeconds: 120",
                "  responseStartTimeoutSeconds: 60",
                ""));

    Deployment autoscaler = m.one(Deployment.class, "edge-knetty-autoscaler");
    Deployment activator = m.one(Deployment.class, "edge-knetty-activator");
    assertThat(autoscaler.getSpec().getReplicas()).isEqualTo(3);
    assertThat(activator.getSpec().getReplicas()).isEqualTo(4);
    assertThat(m.all(HorizontalPodAutoscaler.class)).isEmpty();

    GenericKubernetesResource monitor = m.ofKind("ServiceMonitor").get(0);
    assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
    assertThat(monitor.get("spec", "endpoints", 0, "port").toString()).isEqualTo("metrics");

    // cert-manager: a Certificate for the Service names, injected CA, files mode in the pod.
    GenericKubernetesResource cert = m.ofKind("Certificate").get(0);
    assertThat(cert.get("spec", "secretName").toString()).isEqualTo("edge-knetty-webhook-tls");
    assertThat(cert.get("spec", "dnsNames").toString())
        .contains("edge-knetty-webhook.knetty-system.svc");
    assertThat(cert.get("spec", "privateKey", "encoding").toString()).isEqualTo("PKCS8");
    assertThat(m.ofKind("Issuer")).hasSize(1);
    MutatingWebhookConfiguration mwc =
        m.one(MutatingWebhookConfiguration.class, "edge-knetty-webhook");
    assertThat(mwc.getMetadata().getAnnotations())
        .containsEntry("cert-manager.io/inject-ca-from", "knetty-system/edge-knetty-webhook");
    assertThat(mwc.getWebhooks().get(0).getFailurePolicy()).isEqualTo("Fail");
    assertThat(m.all(Secret.class)).isEmpty();
    assertThat(autoscaler.getSpec().getTemplate().getSpec().getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .singleElement()
        .satisfies(
            v -> assertThat(v.getSecret().getSecretName()).isEqualTo("edge-knetty-webhook-tls"));
    // No Secret or webhook-configuration access when nothing is generated.
    assertThat(m.one(ClusterRole.class, "edge-knetty-autoscaler").getRules())
        .noneMatch(r -> r.getResources().contains("mutatingwebhookconfigurations"));
    assertThat(m.one(Role.class, "edge-knetty-autoscaler").getRules())
        .noneMatch(r -> r.getResources().contains("secrets"));

    WebhookConfig config = WebhookConfig.fromEnvironment(env(container(autoscaler)));
    assertThat(config.tls().mode()).isEqualTo(WebhookConfig.CertMode.FILES);
    assertThat(config.tls().certFile()).isEqualTo(Path.of("/etc/knetty/webhook-certs/tls.crt"));
    assertThat(container(autoscaler).getVolumeMounts())
        .anySatisfy(v -> assertThat(v.getMountPath()).isEqualTo("/etc/knetty/webhook-certs"));
    assertThat(config.tls().serviceName()).isEqualTo("edge-knetty-webhook");
    assertThat(config.queueProxy().memoryLimit()).isEqualTo("200Mi");
    assertThat(config.revisionDefaults().revisionTimeoutSeconds()).isEqualTo(120);
    assertThat(config.revisionDefaults().revisionResponseStartTimeoutSeconds()).isEqualTo(60);
  }

  @Test
  void providedCertificatesBecomeTheSecretAndTheCaBundle() throws Exception {
    String ca = "-----BEGIN CERTIFICATE-----\nMIIBcA==\n-----END CERTIFICATE-----\n";
    Manifests m =
        render(
            "knetty",
            String.join(
                "\n",
                "webhook:",
                "  certificates:",
                "    mode: provided",
                "    provided:",
                "      caCert: |",
                ca.lines().map(l -> "        " + l).collect(Collectors.joining("\n")),
                "      tlsCert: cert-pem",
                "      tlsKey: key-pem",
                ""));

    assertThat(
            m.one(MutatingWebhookConfiguration.class, "knetty-webhook")
                .getWebhooks()
                .get(0)
                .getClientConfig()
                .getCaBundle())
        .isEqualTo(Base64.getEncoder().encodeToString(ca.getBytes(StandardCharsets.US_ASCII)));
    Secret tls = m.one(Secret.class, "knetty-webhook-tls");
    assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(tls.getData()).containsKeys("tls.crt", "tls.key");
  }

  @Test
  void invalidValuesFailTheRenderWithAClearMessage() {
    assertThatThrownBy(() -> render("knetty", "webhook:\n  certificates:\n    mode: magic\n"))
        .hasMessageContaining(
            "webhook.certificates.mode: magic (expected: generate, certManager or provided)");
    assertThatThrownBy(() -> render("knetty", "webhook:\n  failurePolicy: Maybe\n"))
        .hasMessageContaining("webhook.failurePolicy: Maybe (expected: Ignore or Fail)");
    // Knative rejects these defaults too: lowering the timeout alone needs a lower response start.
    assertThatThrownBy(() -> render("knetty", "revisionDefaults:\n  timeoutSeconds: 120\n"))
        .hasMessageContaining(
            "revisionDefaults.responseStartTimeoutSeconds: 300 (expected: <= timeoutSeconds 120)");
  }
}
