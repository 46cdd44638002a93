package io.cohortflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.TopicSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * k8s/ without a cluster: every object against the schema of its kind (strict, as {@code kubectl
 * apply --validate=strict}), each negative case one wrong field away from a manifest that passes,
 * and the settings that must agree across manifests, images and code.
 */
class KubernetesManifestsTest {
    private static final Path K8S = Repo.ROOT.resolve("k8s");
    private static KubernetesSchemas schemas;
    private static Map<String, JsonNode> objects;

    @BeforeAll
    static void load() throws IOException {
        schemas = new KubernetesSchemas();
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(K8S)) {
            files.filter(f -> f.toString().endsWith(".yaml"))
                    .sorted()
                    .forEach(f -> all.addAll(KubernetesSchemas.documents(f)));
        }
        objects = KubernetesSchemas.byKindAndName(all);
    }

    @TestFactory
    Stream<DynamicTest> every_manifest_is_valid_against_its_schema() {
        return objects.entrySet().stream()
                .map(
                        e ->
                                DynamicTest.dynamicTest(
                                        e.getKey(),
                                        () ->
                                                assertThat(schemas.validate(e.getValue()))
                                                        .isEmpty()));
    }

    @Test
    void the_deployment_has_every_part_the_design_names() {
        assertThat(objects.keySet())
                .contains(
                        "FlinkDeployment/cohortflow",
                        "Kafka/cohortflow",
                        "KafkaNodePool/controller",
                        "KafkaNodePool/broker",
                        "KafkaTopic/cohortflow-events",
                        "Deployment/cohortflow-service",
                        "Service/cohortflow-service",
                        "HorizontalPodAutoscaler/cohortflow-service",
                        "PodDisruptionBudget/cohortflow-service",
                        "NetworkPolicy/cohortflow-service",
                        "Secret/cohortflow-service-admin");
        objects.values()
                .forEach(
                        o ->
                                assertThat(
                                                schemas.knows(
                                                        o.path("apiVersion").asText(),
                                                        o.path("kind").asText()))
                                        .as(o.path("kind").asText())
                                        .isTrue());
    }

    /**
     * The direct-replies listener does not authenticate its peers: the policy lets the job's task
     * managers alone reach its port, on the pods the service's Deployment makes, and leaves the
     * HTTP port open. Ports and labels as the other manifests give them.
     */
    @Test
    void only_the_task_managers_reach_the_direct_replies_port() {
        JsonNode policy = objects.get("NetworkPolicy/cohortflow-service");
        JsonNode deployment = objects.get("Deployment/cohortflow-service");
        assertThat(policy.at("/spec/podSelector/matchLabels"))
                .isEqualTo(deployment.at("/spec/selector/matchLabels"));
        assertThat(policy.at("/spec/policyTypes").toString()).isEqualTo("[\"Ingress\"]");
        String replies =
                objects.get("ConfigMap/cohortflow-service")
                        .at("/data/COHORTFLOW_SEGMENTATION_DIRECT_REPLIES_PORT")
                        .asText();
        String http =
                objects.get("ConfigMap/cohortflow-service")
                        .at("/data/COHORTFLOW_SERVICE_PORT")
                        .asText();
        Map<String, JsonNode> ruleByPort = new HashMap<>();
        for (JsonNode rule : policy.at("/spec/ingress")) {
            for (JsonNode port : rule.path("ports")) {
                ruleByPort.put(port.path("port").asText(), rule);
            }
        }
        assertThat(ruleByPort).containsOnlyKeys(http, replies);
        assertThat(ruleByPort.get(http).has("from")).as("HTTP from anywhere").isFalse();
        JsonNode from = ruleByPort.get(replies).at("/from");
        assertThat(from).hasSize(1);
        // The Flink operator labels a FlinkDeployment's task manager pods so.
        assertThat(from.at("/0/podSelector/matchLabels/app").asText())
                .isEqualTo(objects.get("FlinkDeployment/cohortflow").at("/metadata/name").asText());
        assertThat(from.at("/0/podSelector/matchLabels/component").asText())
                .isEqualTo("taskmanager");
        assertThat(from.at("/0/namespaceSelector").isMissingNode()).isTrue();
    }

    // ---- negative cases: the validation does reject what a cluster would ----

    @Test
    void a_network_policy_with_a_misspelt_rule_is_an_error() {
        ObjectNode policy = copy("NetworkPolicy/cohortflow-service");
        ObjectNode rule = (ObjectNode) policy.at("/spec/ingress/1");
        rule.set("form", rule.remove("from"));
        assertThat(schemas.validate(policy)).anyMatch(m -> m.contains("form"));
    }

    @Test
    void a_misspelt_field_of_the_flink_deployment_is_an_error() {
        ObjectNode fd = copy("FlinkDeployment/cohortflow");
        ObjectNode job = (ObjectNode) fd.path("spec").path("job");
        job.set("upgradMode", job.remove("upgradeMode"));
        assertThat(schemas.validate(fd)).anyMatch(m -> m.contains("upgradMode"));
    }

    @Test
    void an_unknown_upgrade_mode_and_a_numeric_flink_setting_are_errors() {
        ObjectNode fd = copy("FlinkDeployment/cohortflow");
        ((ObjectNode) fd.path("spec").path("job")).put("upgradeMode", "snapshot");
        ((ObjectNode) fd.path("spec").path("flinkConfiguration"))
                .put("taskmanager.numberOfTaskSlots", 2);
        List<String> errors = schemas.validate(fd);
        assertThat(errors).anyMatch(m -> m.contains("upgradeMode"));
        assertThat(errors).anyMatch(m -> m.contains("taskmanager.numberOfTaskSlots"));
    }

    @Test
    void a_misspelt_field_inside_the_pod_template_is_an_error() {
        ObjectNode fd = copy("FlinkDeployment/cohortflow");
        ObjectNode container = (ObjectNode) fd.at("/spec/podTemplate/spec/containers/0");
        container.set("volumeMount", container.remove("volumeMounts"));
        assertThat(schemas.validate(fd)).anyMatch(m -> m.contains("volumeMount"));
    }

    @Test
    void a_flink_version_no_operator_knows_is_an_error() {
        ObjectNode fd = copy("FlinkDeployment/cohortflow");
        ((ObjectNode) fd.path("spec")).put("flinkVersion", "v2_9");
        assertThat(schemas.validate(fd)).anyMatch(m -> m.contains("flinkVersion"));
    }

    @Test
    void a_misspelt_probe_of_the_service_deployment_is_an_error() {
        ObjectNode d = copy("Deployment/cohortflow-service");
        ObjectNode container = (ObjectNode) d.at("/spec/template/spec/containers/0");
        container.set("readinesProbe", container.remove("readinessProbe"));
        assertThat(schemas.validate(d)).anyMatch(m -> m.contains("readinesProbe"));
    }

    @Test
    void a_deployment_without_a_selector_is_an_error() {
        ObjectNode d = copy("Deployment/cohortflow-service");
        ((ObjectNode) d.path("spec")).remove("selector");
        assertThat(schemas.validate(d)).anyMatch(m -> m.contains("selector"));
    }

    @Test
    void partitions_as_text_and_an_unknown_listener_type_are_errors() {
        ObjectNode topic = copy("KafkaTopic/cohortflow-events");
        ((ObjectNode) topic.path("spec")).put("partitions", "24");
        assertThat(schemas.validate(topic)).anyMatch(m -> m.contains("partitions"));
        ObjectNode kafka = copy("Kafka/cohortflow");
        ((ObjectNode) kafka.at("/spec/kafka/listeners/0")).put("type", "internl");
        assertThat(schemas.validate(kafka)).anyMatch(m -> m.contains("type"));
    }

    @Test
    void a_misspelt_field_in_custom_resource_metadata_is_an_error() {
        ObjectNode pool = copy("KafkaNodePool/broker");
        ObjectNode meta = (ObjectNode) pool.path("metadata");
        meta.set("label", meta.remove("labels"));
        assertThat(schemas.validate(pool)).anyMatch(m -> m.contains("label"));
    }

    @Test
    void a_kind_without_a_schema_is_refused_not_skipped() {
        ObjectNode o = copy("Service/cohortflow-service");
        o.put("kind", "Servise");
        assertThatThrownBy(() -> schemas.validate(o)).hasMessageContaining("no schema");
    }

    // ---- the job ----

    @Test
    void the_flink_deployment_runs_the_job_jar_of_the_job_image() {
        JsonNode spec = objects.get("FlinkDeployment/cohortflow").path("spec");
        assertThat(spec.path("image").asText()).isEqualTo(Repo.JOB_IMAGE);
        assertThat(spec.path("flinkVersion").asText())
                .isEqualTo("v" + Repo.FLINK_VERSION.replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2"));
        String jar = URI.create(spec.at("/job/jarURI").asText()).getPath();
        assertThat(Repo.copies(Repo.dockerfile(Repo.ROOT.resolve("docker/job/Dockerfile"))))
                .containsValue(jar);
        String entry = spec.at("/job/entryClass").asText();
        assertThat(entry).isEqualTo(Repo.mainClass(Repo.JOB_JAR));
        assertThat(Repo.hasClass(Repo.JOB_JAR, entry)).isTrue();
        assertThat(spec.at("/job/upgradeMode").asText()).isEqualTo("savepoint");
    }

    @Test
    void the_job_settings_agree_with_the_flink_configuration_and_the_topics() {
        JsonNode spec = objects.get("FlinkDeployment/cohortflow").path("spec");
        JsonNode flink = spec.path("flinkConfiguration");
        Map<String, String> env = jobEnv();
        assertThat(Repo.jobEnvNames()).containsAll(env.keySet());
        int parallelism = spec.at("/job/parallelism").asInt();
        // The job sets its own parallelism and checkpoint directory from these variables.
        assertThat(env).containsEntry("COHORTFLOW_JOB_PARALLELISM", Integer.toString(parallelism));
        assertThat(env)
                .containsEntry(
                        "COHORTFLOW_JOB_CHECKPOINT_DIR",
                        flink.path("execution.checkpointing.dir").asText());
        assertThat(flink.path("execution.checkpointing.dir").asText()).startsWith("s3://");
        assertThat(flink.path("execution.checkpointing.savepoint-dir").asText())
                .startsWith("s3://");
        assertThat(flink.path("high-availability.type").asText()).isEqualTo("kubernetes");
        assertThat(flink.path("state.backend.type").asText()).isEqualTo("rocksdb");
        assertThat(flink.path("execution.checkpointing.incremental").asText()).isEqualTo("true");
        int events = partitions("cohortflow.events");
        int maxParallelism = flink.path("pipeline.max-parallelism").asInt();
        // The job sets pipeline.max-parallelism itself, from job.max-parallelism.
        assertThat(env)
                .containsEntry("COHORTFLOW_JOB_MAX_PARALLELISM", Integer.toString(maxParallelism));
        // More subtasks than partitions would idle; key groups bound any future parallelism,
        // and should split evenly at the parallelism chosen.
        assertThat(parallelism).isLessThanOrEqualTo(events);
        assertThat(maxParallelism).isGreaterThanOrEqualTo(events);
        assertThat(maxParallelism % parallelism).isZero();
        assertThat(events % parallelism).isZero();
        // The exactly-once sink's transactions must fit under the broker's limit.
        long brokerMax =
                objects.get("Kafka/cohortflow")
                        .at("/spec/kafka/config/transaction.max.timeout.ms")
                        .asLong();
        assertThat(Duration.parse(env.get("COHORTFLOW_KAFKA_TRANSACTION_TIMEOUT")).toMillis())
                .isLessThan(brokerMax);
        assertThat(env.get("COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS")).isEqualTo(bootstrap());
    }

    // ---- the topics ----

    @Test
    void the_kafka_topics_are_the_codes_topics_with_the_codes_configs() {
        Map<String, JsonNode> topics = new TreeMap<>();
        objects.values().stream()
                .filter(o -> o.path("kind").asText().equals("KafkaTopic"))
                .forEach(o -> topics.put(o.at("/spec/topicName").asText(), o.path("spec")));
        Map<String, TopicSpec> expected = Topics.expected(partitions("cohortflow.events"));
        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (TopicSpec s : expected.values()) {
            JsonNode t = topics.get(s.name());
            assertThat(t.path("partitions").asInt()).as(s.name()).isEqualTo(s.partitions());
            int replicas = t.path("replicas").asInt();
            assertThat(replicas).as(s.name()).isGreaterThanOrEqualTo(3);
            Map<String, String> config = new HashMap<>();
            t.path("config")
                    .properties()
                    .forEach(e -> config.put(e.getKey(), e.getValue().asText()));
            // Replicated: one broker may be down without refusing acks=all writes.
            assertThat(config).as(s.name()).containsEntry("min.insync.replicas", "2");
            Map<String, String> rest = new HashMap<>(config);
            rest.remove("min.insync.replicas");
            Map<String, String> want = new HashMap<>(s.configs());
            want.remove("min.insync.replicas");
            assertThat(rest).as(s.name()).isEqualTo(want);
        }
    }

    // ---- the service ----

    @Test
    void the_service_deployment_runs_the_service_image_with_known_settings() {
        JsonNode container =
                objects.get("Deployment/cohortflow-service").at("/spec/template/spec/containers/0");
        assertThat(container.path("image").asText()).isEqualTo(Repo.SERVICE_IMAGE);
        JsonNode config = objects.get("ConfigMap/cohortflow-service").path("data");
        JsonNode secret = objects.get("Secret/cohortflow-service-admin").path("stringData");
        List<String> names = new ArrayList<>();
        config.fieldNames().forEachRemaining(names::add);
        secret.fieldNames().forEachRemaining(names::add);
        assertThat(Repo.serviceEnvNames()).containsAll(names);
        assertThat(config.path("COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS").asText())
                .isEqualTo(bootstrap());
        List<String> refs = new ArrayList<>();
        container
                .path("envFrom")
                .forEach(
                        r -> {
                            if (r.has("configMapRef")) {
                                refs.add("ConfigMap/" + r.at("/configMapRef/name").asText());
                            }
                            if (r.has("secretRef")) {
                                refs.add("Secret/" + r.at("/secretRef/name").asText());
                            }
                        });
        assertThat(objects.keySet()).containsAll(refs);
        // COHORTFLOW_CONFIG names a file of the mounted key secret.
        Path file = Path.of(config.path("COHORTFLOW_CONFIG").asText());
        JsonNode mount = container.path("volumeMounts").get(0);
        assertThat(file.getParent().toString()).isEqualTo(mount.path("mountPath").asText());
        JsonNode volume =
                objects.get("Deployment/cohortflow-service").at("/spec/template/spec/volumes/0");
        assertThat(volume.path("name").asText()).isEqualTo(mount.path("name").asText());
        assertThat(
                        objects.get("Secret/" + volume.at("/secret/secretName").asText())
                                .path("stringData")
                                .has(file.getFileName().toString()))
                .isTrue();
    }

    /**
     * The Kubernetes scrape configuration gives the compose configuration's job names (the alerts
     * name them: `up{job="cohortflow-service"}`), and its keep rules match the pods these manifests
     * make. Pod annotations alone leave the job name to the cluster's generic pod job, and the
     * service-down alert fired for good.
     */
    @Test
    void prometheus_on_kubernetes_scrapes_these_pods_under_the_job_names_the_alerts_use()
            throws IOException {
        Path monitoring = Repo.ROOT.resolve("monitoring");
        JsonNode k8s =
                KubernetesSchemas.YAML.readTree(
                        monitoring.resolve("prometheus-kubernetes.yml").toFile());
        JsonNode compose =
                KubernetesSchemas.YAML.readTree(monitoring.resolve("prometheus.yml").toFile());
        Map<String, JsonNode> jobs = new java.util.TreeMap<>();
        k8s.path("scrape_configs").forEach(j -> jobs.put(j.path("job_name").asText(), j));
        List<String> composeJobs = new ArrayList<>();
        compose.path("scrape_configs").forEach(j -> composeJobs.add(j.path("job_name").asText()));
        assertThat(jobs.keySet()).containsExactlyInAnyOrderElementsOf(composeJobs);
        assertThat(k8s.path("rule_files").toString()).contains("prometheus-alerts.yml");
        java.util.regex.Matcher named =
                java.util.regex.Pattern.compile("job=\"([^\"]+)\"")
                        .matcher(Files.readString(monitoring.resolve("prometheus-alerts.yml")));
        while (named.find()) {
            assertThat(jobs).containsKey(named.group(1));
        }

        JsonNode service =
                objects.get("Deployment/cohortflow-service").at("/spec/template/metadata");
        assertThat(keeps(jobs.get("cohortflow-service"), service.path("labels"), service))
                .as("the service's pods are scraped")
                .isTrue();
        JsonNode flink = objects.get("FlinkDeployment/cohortflow");
        // The Flink operator labels the cluster's pods app=<FlinkDeployment name>.
        JsonNode flinkLabels =
                KubernetesSchemas.YAML
                        .createObjectNode()
                        .put("app", flink.at("/metadata/name").asText());
        assertThat(
                        keeps(
                                jobs.get("cohortflow-flink"),
                                flinkLabels,
                                flink.at("/spec/podTemplate/metadata")))
                .as("the Flink pods are scraped")
                .isTrue();
    }

    /** Whether {@code job}'s keep rule keeps a pod of these labels and annotations. */
    private static boolean keeps(JsonNode job, JsonNode labels, JsonNode metadata) {
        for (JsonNode rule : job.path("relabel_configs")) {
            if (!rule.path("action").asText().equals("keep")) {
                continue;
            }
            List<String> values = new ArrayList<>();
            for (JsonNode source : rule.path("source_labels")) {
                String name = source.asText();
                String label = "__meta_kubernetes_pod_label_";
                String annotation = "__meta_kubernetes_pod_annotation_";
                String value = "";
                if (name.startsWith(label)) {
                    value = sanitised(labels, name.substring(label.length()));
                } else if (name.startsWith(annotation)) {
                    value =
                            sanitised(
                                    metadata.path("annotations"),
                                    name.substring(annotation.length()));
                }
                values.add(value);
            }
            return String.join(";", values).matches(rule.path("regex").asText());
        }
        return false;
    }

    /** The value of the key that Prometheus's discovery turns into {@code name}. */
    private static String sanitised(JsonNode map, String name) {
        var fields = map.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            if (e.getKey().replaceAll("[^a-zA-Z0-9_]", "_").equals(name)) {
                return e.getValue().asText();
            }
        }
        return "";
    }

    @Test
    void probes_use_the_services_health_and_readiness_routes_on_its_port() throws IOException {
        JsonNode pod = objects.get("Deployment/cohortflow-service").at("/spec/template/spec");
        JsonNode container = pod.path("containers").get(0);
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/ready");
        assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo("/ready");
        // The routes are the service's own (its OpenAPI document, tested against its routes).
        JsonNode openapi;
        try (var in = getClass().getClassLoader().getResourceAsStream("openapi.yaml")) {
            openapi = KubernetesSchemas.YAML.readTree(in);
        }
        assertThat(openapi.path("paths").has("/health")).isTrue();
        assertThat(openapi.path("paths").has("/ready")).isTrue();
        int port = container.at("/ports/0/containerPort").asInt();
        assertThat(container.at("/ports/0/name").asText())
                .isEqualTo(container.at("/readinessProbe/httpGet/port").asText());
        assertThat(
                        objects.get("ConfigMap/cohortflow-service")
                                .at("/data/COHORTFLOW_SERVICE_PORT")
                                .asText())
                .isEqualTo(Integer.toString(port));
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(10001);
    }

    @Test
    void service_hpa_and_pdb_point_at_the_service_pods() {
        JsonNode deployment = objects.get("Deployment/cohortflow-service");
        JsonNode labels = deployment.at("/spec/template/metadata/labels");
        for (String selector :
                List.of(
                        "Service/cohortflow-service /spec/selector",
                        "PodDisruptionBudget/cohortflow-service /spec/selector/matchLabels")) {
            String[] p = selector.split(" ");
            objects.get(p[0])
                    .at(p[1])
                    .properties()
                    .forEach(
                            e ->
                                    assertThat(labels.path(e.getKey()).asText())
                                            .as(selector)
                                            .isEqualTo(e.getValue().asText()));
        }
        JsonNode hpa = objects.get("HorizontalPodAutoscaler/cohortflow-service").path("spec");
        assertThat(hpa.at("/scaleTargetRef/kind").asText()).isEqualTo("Deployment");
        assertThat(hpa.at("/scaleTargetRef/name").asText())
                .isEqualTo(deployment.at("/metadata/name").asText());
        // The budget must leave a pod to evict at the autoscaler's minimum.
        assertThat(hpa.path("minReplicas").asInt())
                .isGreaterThan(
                        objects.get("PodDisruptionBudget/cohortflow-service")
                                .at("/spec/minAvailable")
                                .asInt());
    }

    // ---- helpers ----

    /** {@code <cluster>-kafka-bootstrap.<namespace>.svc:<plain port>}: Strimzi's service name. */
    private static String bootstrap() {
        JsonNode kafka = objects.get("Kafka/cohortflow");
        int port = -1;
        for (JsonNode l : kafka.at("/spec/kafka/listeners")) {
            if (!l.path("tls").asBoolean() && l.path("type").asText().equals("internal")) {
                port = l.path("port").asInt();
            }
        }
        return kafka.at("/metadata/name").asText()
                + "-kafka-bootstrap."
                + kafka.at("/metadata/namespace").asText()
                + ".svc:"
                + port;
    }

    private static int partitions(String topic) {
        return objects.values().stream()
                .filter(o -> o.path("kind").asText().equals("KafkaTopic"))
                .filter(o -> o.at("/spec/topicName").asText().equals(topic))
                .findFirst()
                .orElseThrow()
                .at("/spec/partitions")
                .asInt();
    }

    private static Map<String, String> jobEnv() {
        Map<String, String> env = new HashMap<>();
        JsonNode containers =
                objects.get("FlinkDeployment/cohortflow").at("/spec/podTemplate/spec/containers");
        assertThat(containers.get(0).path("name").asText()).isEqualTo("flink-main-container");
        containers
                .get(0)
                .path("env")
                .forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        return env;
    }

    private static ObjectNode copy(String key) {
        return (ObjectNode) objects.get(key).deepCopy();
    }
}
