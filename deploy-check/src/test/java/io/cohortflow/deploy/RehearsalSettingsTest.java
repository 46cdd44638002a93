package io.cohortflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The deployments run what the rehearsal proved: the settings {@code cluster-rehearsal} runs with
 * are in one file, {@code rehearsal-settings.properties} (RehearsalCluster loads it), and
 * docker/compose.yaml, docker/create-topics.sh and k8s/ must carry the same values: brokers,
 * replication and min ISR, broker transaction limits, Flink's slots per TaskManager, state backend,
 * checkpointing mode and retention, checkpoint and savepoint directories, the job's transaction
 * timeout.
 */
class RehearsalSettingsTest {
    static final Path SETTINGS =
            Repo.ROOT.resolve("cluster-rehearsal/src/test/resources/rehearsal-settings.properties");

    /** The rehearsal's sources (RehearsalCluster, RehearsalKafka, RehearsalFlink, ...). */
    private static final Path REHEARSAL =
            Repo.ROOT.resolve("cluster-rehearsal/src/test/java/io/cohortflow/rehearsal");

    private static Properties proven;
    private static JsonNode compose;
    private static Map<String, JsonNode> k8s;

    @BeforeAll
    static void load() throws IOException {
        proven = new Properties();
        try (Reader r = Files.newBufferedReader(SETTINGS)) {
            proven.load(r);
        }
        compose = KubernetesSchemas.documents(Repo.ROOT.resolve("docker/compose.yaml")).get(0);
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(Repo.ROOT.resolve("k8s"))) {
            files.filter(f -> f.toString().endsWith(".yaml"))
                    .sorted()
                    .forEach(f -> all.addAll(KubernetesSchemas.documents(f)));
        }
        k8s = KubernetesSchemas.byKindAndName(all);
    }

    @Test
    void the_rehearsal_runs_with_the_settings_file() {
        // Each group has settings (a renamed key cannot pass as "nothing to compare") ...
        for (String prefix : List.of("kafka.broker.", "flink.", "job.")) {
            assertThat(proven(prefix)).as(prefix).isNotEmpty();
        }
        assertThat(brokers()).isPositive();
        assertThat(dirs()).isNotEmpty();
        // ... and the rehearsal writes every group into its brokers, Flink cluster and job.
        assertThat(rehearsalSources())
                .contains("\"/rehearsal-settings.properties\"")
                .contains("provenLines(\"kafka.broker.\"")
                .contains("provenLines(\"flink.\"")
                .contains("proven(\"job.\")")
                .contains("PROVEN.getProperty(\"kafka.brokers\")");
    }

    private static String rehearsalSources() {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(REHEARSAL)) {
            files.filter(f -> f.toString().endsWith(".java"))
                    .sorted()
                    .forEach(f -> all.append(Repo.read(f)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return all.toString();
    }

    // ---- Kafka ----

    @Test
    void compose_runs_the_rehearsals_brokers() {
        List<String> brokers = composeBrokers();
        assertThat(brokers).as("compose's brokers").hasSize(brokers());
        for (String b : brokers) {
            JsonNode env = compose.at("/services/" + b + "/environment");
            assertThat(env.path("KAFKA_CONTROLLER_QUORUM_VOTERS").asText().split(","))
                    .as(b + " quorum")
                    .hasSize(brokers());
            proven("kafka.broker.")
                    .forEach(
                            (key, value) ->
                                    assertThat(env.path(kafkaEnv(key)).asText())
                                            .as(
                                                    "docker/compose.yaml %s %s (%s)",
                                                    b, kafkaEnv(key), key)
                                            .isEqualTo(value));
        }
    }

    @Test
    void compose_creates_the_topics_replicated_as_rehearsed() {
        String rf = proven.getProperty("kafka.broker.default.replication.factor");
        assertThat(compose.at("/services/topics/environment/REPLICATION_FACTOR").asText())
                .as("docker/compose.yaml topics REPLICATION_FACTOR")
                .isEqualTo(rf);
        String script = Repo.read(Repo.ROOT.resolve("docker/create-topics.sh"));
        Matcher def = Pattern.compile("REPLICATION_FACTOR:-(\\d+)").matcher(script);
        assertThat(def.find()).as("create-topics.sh's default replication factor").isTrue();
        assertThat(def.group(1)).as("create-topics.sh's default replication factor").isEqualTo(rf);
        // A topic may state min.insync.replicas only as the brokers have it.
        Matcher minIsr = Pattern.compile("min\\.insync\\.replicas=(\\d+)").matcher(script);
        while (minIsr.find()) {
            assertThat(minIsr.group(1))
                    .as("create-topics.sh min.insync.replicas")
                    .isEqualTo(proven.getProperty("kafka.broker.min.insync.replicas"));
        }
    }

    @Test
    void kubernetes_runs_the_rehearsals_brokers() {
        JsonNode config = k8s.get("Kafka/cohortflow").at("/spec/kafka/config");
        proven("kafka.broker.")
                .forEach(
                        (key, value) ->
                                assertThat(config.path(key).asText())
                                        .as("k8s/kafka.yaml spec.kafka.config %s", key)
                                        .isEqualTo(value));
        int brokers = 0;
        for (JsonNode o : k8s.values()) {
            if (o.path("kind").asText().equals("KafkaNodePool")
                    && o.at("/spec/roles").toString().contains("\"broker\"")) {
                brokers += o.at("/spec/replicas").asInt();
            }
        }
        assertThat(brokers).as("k8s/kafka.yaml brokers").isEqualTo(brokers());
    }

    @Test
    void kubernetes_topics_are_replicated_as_rehearsed() {
        List<JsonNode> topics =
                k8s.values().stream()
                        .filter(o -> o.path("kind").asText().equals("KafkaTopic"))
                        .toList();
        assertThat(topics).isNotEmpty();
        for (JsonNode t : topics) {
            String name = t.at("/spec/topicName").asText();
            assertThat(t.at("/spec/replicas").asText())
                    .as("k8s/topics.yaml %s replicas", name)
                    .isEqualTo(proven.getProperty("kafka.broker.default.replication.factor"));
            JsonNode minIsr = t.at("/spec/config/min.insync.replicas");
            if (!minIsr.isMissingNode()) {
                assertThat(minIsr.asText())
                        .as("k8s/topics.yaml %s min.insync.replicas", name)
                        .isEqualTo(proven.getProperty("kafka.broker.min.insync.replicas"));
            }
        }
    }

    // ---- Flink and the job ----

    @Test
    void compose_flink_and_job_carry_the_rehearsals_settings() {
        Map<String, String> jobmanager = flinkProperties("jobmanager");
        Map<String, String> taskmanager = flinkProperties("taskmanager");
        proven("flink.")
                .forEach(
                        (key, value) -> {
                            assertThat(jobmanager.get(key))
                                    .as("docker/compose.yaml jobmanager FLINK_PROPERTIES %s", key)
                                    .isEqualTo(value);
                            assertThat(taskmanager.get(key))
                                    .as("docker/compose.yaml taskmanager FLINK_PROPERTIES %s", key)
                                    .isEqualTo(value);
                        });
        for (String dir : dirs()) {
            assertThat(jobmanager.get(dir))
                    .as("docker/compose.yaml jobmanager FLINK_PROPERTIES %s", dir)
                    .isNotBlank();
            // The taskmanagers write the checkpoints and the changelog: the same places.
            assertThat(taskmanager.get(dir))
                    .as("docker/compose.yaml taskmanager FLINK_PROPERTIES %s", dir)
                    .isEqualTo(jobmanager.get(dir));
        }
        JsonNode env = compose.at("/services/jobmanager/environment");
        assertThat(env.path("COHORTFLOW_JOB_CHECKPOINT_DIR").asText())
                .isEqualTo(jobmanager.get("execution.checkpointing.dir"));
        proven("job.")
                .forEach(
                        (key, value) ->
                                assertThat(env.path(key).asText())
                                        .as("docker/compose.yaml jobmanager %s", key)
                                        .isEqualTo(value));
        long brokerMax =
                compose.at("/services/kafka-1/environment/KAFKA_TRANSACTION_MAX_TIMEOUT_MS")
                        .asLong();
        assertThat(Duration.parse(env.path("COHORTFLOW_KAFKA_TRANSACTION_TIMEOUT").asText()))
                .isLessThan(Duration.ofMillis(brokerMax));
    }

    @Test
    void kubernetes_flink_and_job_carry_the_rehearsals_settings() {
        JsonNode spec = k8s.get("FlinkDeployment/cohortflow").path("spec");
        JsonNode flink = spec.path("flinkConfiguration");
        proven("flink.")
                .forEach(
                        (key, value) ->
                                assertThat(flink.path(key).asText())
                                        .as("k8s/flink-job.yaml flinkConfiguration %s", key)
                                        .isEqualTo(value));
        for (String dir : dirs()) {
            assertThat(flink.path(dir).asText())
                    .as("k8s/flink-job.yaml flinkConfiguration %s", dir)
                    .isNotBlank();
        }
        Map<String, String> env = new TreeMap<>();
        spec.at("/podTemplate/spec/containers/0/env")
                .forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        proven("job.")
                .forEach(
                        (key, value) ->
                                assertThat(env.get(key))
                                        .as("k8s/flink-job.yaml pod env %s", key)
                                        .isEqualTo(value));
    }

    // ---- helpers ----

    /** The proven settings under {@code prefix}, the prefix left out (as RehearsalCluster). */
    private static Map<String, String> proven(String prefix) {
        Map<String, String> out = new TreeMap<>();
        proven.stringPropertyNames().stream()
                .filter(k -> k.startsWith(prefix))
                .forEach(k -> out.put(k.substring(prefix.length()), proven.getProperty(k)));
        return out;
    }

    private static int brokers() {
        return Integer.parseInt(proven.getProperty("kafka.brokers", "0"));
    }

    private static List<String> dirs() {
        return List.of(proven.getProperty("dirs", "").split(",")).stream()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    /** The apache/kafka image's variable for a broker setting: KAFKA_, upper case, _ for dots. */
    private static String kafkaEnv(String key) {
        return "KAFKA_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** compose's services that are Kafka brokers. */
    private static List<String> composeBrokers() {
        List<String> out = new ArrayList<>();
        compose.path("services")
                .properties()
                .forEach(
                        e -> {
                            if (e.getValue()
                                    .at("/environment/KAFKA_PROCESS_ROLES")
                                    .asText()
                                    .contains("broker")) {
                                out.add(e.getKey());
                            }
                        });
        return out;
    }

    /** A Flink service's FLINK_PROPERTIES (YAML lines {@code key: value}). */
    private static Map<String, String> flinkProperties(String service) {
        Properties p = new Properties();
        try {
            p.load(
                    new StringReader(
                            compose.at("/services/" + service + "/environment/FLINK_PROPERTIES")
                                    .asText()
                                    .replaceAll("(?m)^([^:\\s]+):\\s*", "$1=")));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).strip()));
        return out;
    }
}
