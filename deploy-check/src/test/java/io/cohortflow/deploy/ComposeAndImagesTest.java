package io.cohortflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.TopicSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker/ without a Docker engine: the compose file parses and names the images the Dockerfiles
 * build, the Dockerfiles copy what the Maven build produced (and .dockerignore lets it through),
 * and the topic script creates the code's topics with the code's configs.
 */
class ComposeAndImagesTest {
    private static final Path DOCKER = Repo.ROOT.resolve("docker");
    private static JsonNode services;

    @BeforeAll
    static void load() {
        List<JsonNode> docs = KubernetesSchemas.documents(DOCKER.resolve("compose.yaml"));
        assertThat(docs).hasSize(1);
        services = docs.get(0).path("services");
    }

    @Test
    void compose_runs_kafka_topics_the_job_and_the_service() {
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names)
                .containsExactlyInAnyOrder(
                        "kafka-1",
                        "kafka-2",
                        "kafka-3",
                        "topics",
                        "jobmanager",
                        "taskmanager",
                        "service",
                        "prometheus");
        // Prometheus reads the repository's own scrape configuration and alert rules, and the
        // Flink containers run the reporter it scrapes.
        assertThat(services.at("/prometheus/volumes").toString())
                .contains("../monitoring/prometheus.yml")
                .contains("../monitoring/prometheus-alerts.yml");
        for (String flink : List.of("jobmanager", "taskmanager")) {
            assertThat(services.at("/" + flink + "/environment/FLINK_PROPERTIES").asText())
                    .contains("metrics.reporter.prom.factory.class")
                    .contains("metrics.reporter.prom.port: 9249");
        }
        for (String kafka : List.of("kafka-1", "kafka-2", "kafka-3")) {
            assertThat(services.at("/" + kafka + "/image").asText())
                    .isEqualTo("apache/kafka:" + Repo.KAFKA_VERSION);
            assertThat(services.at("/" + kafka + "/environment/KAFKA_PROCESS_ROLES").asText())
                    .isEqualTo("broker,controller");
        }
        assertThat(services.at("/topics/image").asText())
                .isEqualTo("apache/kafka:" + Repo.KAFKA_VERSION);
        // Job and service start once the topics exist with their configs.
        for (String s : List.of("jobmanager", "service")) {
            assertThat(services.at("/" + s + "/depends_on/topics/condition").asText())
                    .as(s)
                    .isEqualTo("service_completed_successfully");
        }
        // Published on loopback only.
        services.forEach(
                s -> s.path("ports").forEach(p -> assertThat(p.asText()).startsWith("127.0.0.1:")));
    }

    @Test
    void compose_names_the_images_its_dockerfiles_build() {
        Map<String, String> dockerfiles =
                Map.of(
                        "jobmanager",
                        "docker/job/Dockerfile",
                        "service",
                        "docker/service/Dockerfile");
        dockerfiles.forEach(
                (service, dockerfile) -> {
                    JsonNode build = services.path(service).path("build");
                    Path context = DOCKER.resolve(build.path("context").asText()).normalize();
                    assertThat(context).isEqualTo(Repo.ROOT);
                    assertThat(build.path("dockerfile").asText()).isEqualTo(dockerfile);
                    assertThat(Files.isRegularFile(context.resolve(dockerfile))).isTrue();
                });
        assertThat(services.at("/jobmanager/image").asText()).isEqualTo(Repo.JOB_IMAGE);
        assertThat(services.at("/taskmanager/image").asText()).isEqualTo(Repo.JOB_IMAGE);
        assertThat(services.at("/service/image").asText()).isEqualTo(Repo.SERVICE_IMAGE);
        // The images of the Kubernetes manifests are the same ones.
        assertThat(Repo.read(Repo.ROOT.resolve("k8s/flink-job.yaml"))).contains(Repo.JOB_IMAGE);
        assertThat(Repo.read(Repo.ROOT.resolve("k8s/service.yaml"))).contains(Repo.SERVICE_IMAGE);
    }

    @Test
    void the_jobmanager_runs_the_jars_main_class_in_application_mode() {
        String command = services.at("/jobmanager/command").asText();
        Matcher m = Pattern.compile("standalone-job --job-classname (\\S+)").matcher(command);
        assertThat(m.find()).as(command).isTrue();
        assertThat(m.group(1)).isEqualTo(Repo.mainClass(Repo.JOB_JAR));
        assertThat(services.at("/taskmanager/command").asText()).isEqualTo("taskmanager");
    }

    @Test
    void compose_settings_are_names_the_code_reads_and_agree_with_each_other() throws Exception {
        Map<String, String> job = env("jobmanager");
        Map<String, String> service = env("service");
        assertThat(Repo.jobEnvNames()).containsAll(job.keySet());
        assertThat(Repo.serviceEnvNames()).containsAll(service.keySet());
        // Every bootstrap address is a broker's advertised listener.
        List<String> advertised = new ArrayList<>();
        for (String kafka : List.of("kafka-1", "kafka-2", "kafka-3")) {
            String listeners =
                    services.at("/" + kafka + "/environment/KAFKA_ADVERTISED_LISTENERS").asText();
            for (String l : listeners.split(",")) {
                advertised.add(l.substring(l.indexOf("//") + 2));
            }
        }
        for (Map<String, String> client : List.of(job, service)) {
            assertThat(advertised)
                    .containsAll(
                            List.of(client.get("COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS").split(",")));
        }
        assertThat(services.at("/topics/environment/BOOTSTRAP").asText())
                .isEqualTo(job.get("COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS"));
        int parallelism = Integer.parseInt(job.get("COHORTFLOW_JOB_PARALLELISM"));
        int partitions = services.at("/topics/environment/EVENT_PARTITIONS").asInt();
        Properties tm = new Properties();
        tm.load(
                new java.io.StringReader(
                        services.at("/taskmanager/environment/FLINK_PROPERTIES")
                                .asText()
                                .replace(": ", "=")));
        assertThat(parallelism).isLessThanOrEqualTo(partitions);
        int taskManagers = services.at("/taskmanager/deploy/replicas").asInt(1);
        assertThat(parallelism)
                .isLessThanOrEqualTo(
                        taskManagers
                                * Integer.parseInt(
                                        tm.getProperty("taskmanager.numberOfTaskSlots")));
        // Checkpoints on the volume both Flink containers mount.
        String dir = job.get("COHORTFLOW_JOB_CHECKPOINT_DIR");
        for (String s : List.of("jobmanager", "taskmanager")) {
            assertThat(services.at("/" + s + "/volumes/0").asText())
                    .endsWith(
                            ":"
                                    + dir.substring(
                                            "file://".length(),
                                            dir.indexOf("/", "file:///".length())));
        }
    }

    @Test
    void the_topic_script_creates_the_codes_topics_with_the_codes_configs() {
        int marker = 97; // stands for "$partitions", the events topic's count
        Map<String, TopicSpec> expected = Topics.expected(marker);
        Map<String, TopicSpec> script = new LinkedHashMap<>();
        Pattern line = Pattern.compile("^topic (\\S+) (\\S+)((?: \\S+=\\S+)*)$");
        for (String l : Repo.read(DOCKER.resolve("create-topics.sh")).lines().toList()) {
            Matcher m = line.matcher(l.strip());
            if (!m.matches()) {
                continue;
            }
            int partitions =
                    m.group(2).equals("\"$partitions\"") ? marker : Integer.parseInt(m.group(2));
            Map<String, String> configs = new HashMap<>();
            for (String c : m.group(3).strip().split(" ")) {
                if (!c.isEmpty()) {
                    configs.put(c.substring(0, c.indexOf('=')), c.substring(c.indexOf('=') + 1));
                }
            }
            script.put(m.group(1), new TopicSpec(m.group(1), partitions, configs));
        }
        assertThat(script).isEqualTo(expected);
        JsonNode topics = services.path("topics");
        assertThat(topics.at("/volumes/0").asText()).startsWith("./create-topics.sh:");
        assertThat(topics.at("/entrypoint/1").asText())
                .isEqualTo(topics.at("/volumes/0").asText().split(":")[1]);
    }

    @Test
    void the_job_image_is_flinks_image_with_the_built_jar_in_usrlib() {
        List<Repo.Instruction> df = Repo.dockerfile(DOCKER.resolve("job/Dockerfile"));
        assertThat(df.get(0).op()).isEqualTo("FROM");
        assertThat(df.get(0).args()).isEqualTo("flink:" + Repo.FLINK_VERSION + "-java17");
        assertThat(Repo.copies(df))
                .containsExactly(
                        Map.entry(
                                "job-dist/target/cohortflow-job.jar",
                                "/opt/flink/usrlib/cohortflow-job.jar"));
        copiedFilesExistAndAreInTheContext(df);
    }

    @Test
    void the_service_image_runs_the_built_service_main_from_its_classpath() {
        List<Repo.Instruction> df = Repo.dockerfile(DOCKER.resolve("service/Dockerfile"));
        copiedFilesExistAndAreInTheContext(df);
        assertThat(Repo.copies(df).values()).containsOnly("/opt/cohortflow/lib/");
        String entrypoint =
                df.stream()
                        .filter(i -> i.op().equals("ENTRYPOINT"))
                        .findFirst()
                        .orElseThrow()
                        .args();
        Matcher m =
                Pattern.compile("\"-cp\", \"/opt/cohortflow/lib/\\*\", \"(\\S+)\"\\]")
                        .matcher(entrypoint);
        assertThat(m.find()).as(entrypoint).isTrue();
        assertThat(Repo.hasClass(Repo.SERVICE_JAR, m.group(1))).as(m.group(1)).isTrue();
        String env = df.stream().filter(i -> i.op().equals("ENV")).findFirst().orElseThrow().args();
        Matcher names = Pattern.compile("(COHORTFLOW_\\w+)=").matcher(env);
        while (names.find()) {
            assertThat(Repo.serviceEnvNames()).contains(names.group(1));
        }
        // The runtime classpath the image copies holds the service itself.
        assertThat(Repo.ROOT.resolve("service-dist/target/lib"))
                .isDirectoryContaining("glob:**/cohortflow-definitions-service-*.jar");
    }

    @Test
    void the_build_context_is_only_the_builds_outputs() {
        assertThat(Repo.inContext("job-dist/target/cohortflow-job.jar")).isTrue();
        assertThat(Repo.inContext("service-dist/target/lib/x.jar")).isTrue();
        assertThat(Repo.inContext("core/src/main/java/Foo.java")).isFalse();
        assertThat(Repo.inContext("data/kafka/meta.properties")).isFalse();
        assertThat(Repo.inContext("job-dist/target/original-cohortflow-job.jar")).isFalse();
    }

    private static void copiedFilesExistAndAreInTheContext(List<Repo.Instruction> df) {
        for (String src : Repo.copies(df).keySet()) {
            assertThat(Repo.ROOT.resolve(src)).as("%s (run mvn package first)", src).exists();
            assertThat(Repo.inContext(src)).as(src + " in the build context").isTrue();
        }
    }

    private static Map<String, String> env(String service) {
        Map<String, String> env = new HashMap<>();
        services.path(service)
                .path("environment")
                .properties()
                .forEach(
                        e -> {
                            if (e.getKey().startsWith("COHORTFLOW_")) {
                                env.put(e.getKey(), e.getValue().asText());
                            }
                        });
        return env;
    }
}
