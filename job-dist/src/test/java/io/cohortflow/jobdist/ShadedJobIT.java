package io.cohortflow.jobdist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.job.JobConfig;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The deployable jar, as the Flink image would run it: a child JVM whose classpath is Flink's
 * runtime jars alone (this module's provided dependencies, standing in for the image's {@code
 * /opt/flink/lib}) submits {@code target/cohortflow-job.jar} with Flink's own command line ({@code
 * flink run --target local}), so the job's classes load from the jar through Flink's user-code
 * class loader, as in application mode. A class the jar lacks, or a Flink class it wrongly carries,
 * fails here rather than on a cluster.
 */
class ShadedJobIT {
    private static final Path JAR = Path.of(System.getProperty("cohortflow.jobJar"));
    private static final Path FLINK_LIB = Path.of(System.getProperty("cohortflow.flinkLib"));
    private static final Path WORK = Path.of(System.getProperty("cohortflow.workDir"));
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void the_jar_carries_the_job_and_what_the_image_lacks_but_nothing_the_image_has()
            throws IOException {
        Set<String> imageClasses = new HashSet<>();
        for (String lib : Files.readString(FLINK_LIB).trim().split(File.pathSeparator)) {
            try (JarFile jar = new JarFile(lib)) {
                jar.stream()
                        .map(ZipEntry::getName)
                        .filter(n -> n.endsWith(".class") && !n.contains("module-info"))
                        .forEach(imageClasses::add);
            }
        }
        List<String> duplicates = new ArrayList<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("io.cohortflow.job.CohortflowJob");
            for (String present :
                    List.of(
                            "io/cohortflow/job/CohortflowJob.class",
                            "io/cohortflow/core/contract/TopicNames.class",
                            "org/apache/flink/connector/kafka/source/KafkaSource.class",
                            "org/apache/flink/connector/base/source/reader/SourceReaderBase.class",
                            "org/apache/kafka/clients/producer/KafkaProducer.class",
                            "com/fasterxml/jackson/databind/ObjectMapper.class")) {
                assertThat(jar.getEntry(present)).as(present).isNotNull();
            }
            jar.stream()
                    .map(ZipEntry::getName)
                    .filter(imageClasses::contains)
                    .filter(n -> !knownOverlap(n))
                    .forEach(duplicates::add);
        }
        // A class both in the image's lib/ and in the user jar is how class-loader conflicts
        // (LinkageError, ClassCastException between two copies) start.
        assertThat(duplicates).isEmpty();
    }

    /**
     * The two overlaps that are expected and harmless. flink-connector-files (in the image's lib)
     * bundles flink-connector-base; the job jar carries it too because the Kafka connector needs it
     * and the connector docs say to bundle it: same version, and org.apache.flink classes load
     * parent-first, so the image's copy is the one used. flink-shaded-jackson leaks jackson-core's
     * multi-release internals unrelocated; their package names carry the exact version.
     */
    private static boolean knownOverlap(String entry) {
        return entry.startsWith("org/apache/flink/connector/base/")
                || (entry.startsWith("META-INF/versions/")
                        && entry.contains("/com/fasterxml/jackson/core/internal/shaded/"));
    }

    @Test
    void the_jar_runs_on_flinks_classpath_alone_and_emits_a_membership() throws Exception {
        Files.createDirectories(WORK);
        Path run = Files.createTempDirectory(WORK, "run");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            TopicNames topics = TopicNames.DEFAULT;
            CohortflowTopics.ensure(bootstrap, topics, 2);
            String workspace = "it";
            String segment = "buyers-" + UUID.randomUUID();
            try (KafkaProducer<String, String> p = producer(bootstrap)) {
                p.send(
                                new ProducerRecord<>(
                                        topics.definitions(),
                                        workspace + "/" + segment + "@1/" + UUID.randomUUID(),
                                        segmentRecord(workspace, segment)))
                        .get(30, TimeUnit.SECONDS);
            }
            Process job = startJob(run, bootstrap);
            try {
                String time = Instant.now().minusSeconds(60).toString();
                try (KafkaProducer<String, String> p = producer(bootstrap)) {
                    p.send(
                            new ProducerRecord<>(
                                    topics.events(),
                                    workspace + "/buyer",
                                    envelope(workspace, "buyer", "Purchase", time)));
                    p.send(
                            new ProducerRecord<>(
                                    topics.events(),
                                    workspace + "/reader",
                                    envelope(workspace, "reader", "Pageview", time)));
                    p.flush();
                }
                JsonNode membership = awaitMembership(bootstrap, topics, job, run);
                assertThat(membership.path("workspace").asText()).isEqualTo(workspace);
                assertThat(membership.path("user_id").asText()).isEqualTo("buyer");
                assertThat(membership.path("segment_id").asText()).isEqualTo(segment);
                assertThat(membership.path("change").asText()).isEqualTo("entered");
            } finally {
                job.destroy();
                if (!job.waitFor(20, TimeUnit.SECONDS)) {
                    job.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * {@code flink run --target local cohortflow-job.jar} in a JVM of its own. Settings reach the
     * job as they do in a container: {@code COHORTFLOW_*} environment variables, nothing else.
     */
    private static Process startJob(Path run, String bootstrap) throws IOException {
        String flinkClasspath = Files.readString(FLINK_LIB).trim();
        assertThat(flinkClasspath).doesNotContain("cohortflow");
        Path conf = Files.createDirectories(run.resolve("conf"));
        // Loopback only, any free port: nothing of this test listens beyond the machine.
        Files.writeString(
                conf.resolve("config.yaml"),
                "rest.bind-address: 127.0.0.1\n"
                        + "rest.address: 127.0.0.1\n"
                        + "rest.bind-port: \"0\"\n"
                        + "jobmanager.bind-host: 127.0.0.1\n"
                        + "taskmanager.bind-host: 127.0.0.1\n");
        Path log4j = conf.resolve("log4j2.properties");
        try (var in = ShadedJobIT.class.getResourceAsStream("/flink-log4j.properties")) {
            Files.copy(in, log4j);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m"));
        command.addAll(flinkJvmOptions());
        command.addAll(
                List.of(
                        "-Dlog4j2.configurationFile=" + log4j.toUri(),
                        "-cp",
                        flinkClasspath,
                        "org.apache.flink.client.cli.CliFrontend",
                        "run",
                        "--target",
                        "local",
                        JAR.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        // No cohortflow.properties in the working directory: the environment is the whole
        // configuration, as in the image.
        pb.directory(run.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("COHORTFLOW_") || k.startsWith("FLINK_"));
        env.put("FLINK_CONF_DIR", conf.toString());
        String id = UUID.randomUUID().toString();
        env.put(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.envName(), bootstrap);
        env.put(JobConfig.PARALLELISM.envName(), "2");
        env.put(JobConfig.CHECKPOINT_DIR.envName(), run.resolve("checkpoints").toUri().toString());
        // Memberships commit with the checkpoint after them: a short interval, a short test.
        env.put(JobConfig.CHECKPOINT_INTERVAL.envName(), "PT1S");
        env.put(JobConfig.GROUP_ID.envName(), "it-" + id);
        env.put(JobConfig.TRANSACTIONAL_ID_PREFIX.envName(), "it-" + id);
        pb.redirectErrorStream(true);
        pb.redirectOutput(run.resolve("job.log").toFile());
        return pb.start();
    }

    /** What Flink's scripts pass to every Flink JVM (src/test/resources/flink-jvm.options). */
    static List<String> flinkJvmOptions() throws IOException {
        try (var in = ShadedJobIT.class.getResourceAsStream("/flink-jvm.options")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .toList();
        }
    }

    private static JsonNode awaitMembership(
            String bootstrap, TopicNames topics, Process job, Path run) throws Exception {
        Map<String, Object> cfg =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "it-reader-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        // Exactly-once output: only committed transactions count.
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed");
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        try (KafkaConsumer<String, String> c =
                new KafkaConsumer<>(cfg, new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(List.of(topics.memberships()));
            while (System.nanoTime() < deadline) {
                if (!job.isAlive()) {
                    throw new AssertionError(
                            "the job process ended with "
                                    + job.exitValue()
                                    + ":\n"
                                    + tail(run.resolve("job.log")));
                }
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    return JSON.readTree(r.value());
                }
            }
        }
        throw new AssertionError(
                "no membership within 150 s; job log:\n" + tail(run.resolve("job.log")));
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new StringSerializer());
    }

    /** "Purchased at least once": a published segment record as the service writes it. */
    private static String segmentRecord(String workspace, String id) {
        return "{\"workspace\":\""
                + workspace
                + "\",\"id\":\""
                + id
                + "\",\"version\":1,\"replaces\":0,\"published\":true,\"deleted\":false,"
                + "\"name\":\"Buyers\",\"definition\":{\"func\":\"segment-def\",\"version\":[1,0,0],"
                + "\"container\":{\"func\":\"container\",\"context\":\"visitors\",\"pred\":"
                + "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/Purchase\"}}}}}";
    }

    private static String envelope(String workspace, String user, String event, String time) {
        return "{\"workspace\":\""
                + workspace
                + "\",\"user_id\":\""
                + user
                + "\",\"events\":[{\"name\":\""
                + event
                + "\",\"time\":\""
                + time
                + "\",\"properties\":{}}]}";
    }
}
