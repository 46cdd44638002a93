package io.cohortflow.rehearsal;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.kafka.CohortflowTopics;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Cohortflow as deployed, on one machine, every part a JVM of its own started from Maven-resolved
 * jars: three KRaft brokers (each broker and controller; replication factor 3, min ISR 2), a Flink
 * JobManager and two TaskManagers (standalone session cluster, RocksDB, checkpoints on local disk
 * as the "durable" store), the service, and the deployable job jar submitted with Flink's command
 * line. Everything listens on 127.0.0.1. The rehearsal of the k8s deployment (docs/operations.md):
 * the parts talk over the network only.
 */
final class RehearsalCluster implements AutoCloseable {
    static final String API_KEY = "rehearsal-key";
    static final String ORG = "rehearsal";

    /**
     * The settings this rehearsal proves, shared with deploy-check's RehearsalSettingsTest, which
     * holds docker/ and k8s/ to them ({@code rehearsal-settings.properties}).
     */
    static final Properties PROVEN = loadProven();

    private final RehearsalKafka kafka;
    private final RehearsalFlink flink;
    private final Path serviceLib;
    private final ChildProcesses processes;
    private int servicePort;

    RehearsalCluster(Path work) throws IOException, java.net.URISyntaxException {
        // A fresh directory: brokers formatted by an earlier run would not join this cluster.
        this.processes = new ChildProcesses(work);
        this.kafka =
                new RehearsalKafka(
                        processes, work, read(System.getProperty("cohortflow.kafkaClasspath")));
        this.flink =
                new RehearsalFlink(
                        processes,
                        work,
                        kafka,
                        read(System.getProperty("cohortflow.flinkLib")),
                        Path.of(System.getProperty("cohortflow.jobJar")));
        this.serviceLib = Path.of(System.getProperty("cohortflow.serviceLib"));
    }

    static String read(String file) throws IOException {
        return Files.readString(Path.of(file)).trim();
    }

    private static Properties loadProven() {
        Properties p = new Properties();
        try (InputStream in =
                RehearsalCluster.class.getResourceAsStream("/rehearsal-settings.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** The proven settings under {@code prefix}, the prefix left out, sorted by name. */
    static Map<String, String> proven(String prefix) {
        Map<String, String> out = new TreeMap<>();
        PROVEN.stringPropertyNames().stream()
                .filter(k -> k.startsWith(prefix))
                .forEach(k -> out.put(k.substring(prefix.length()), PROVEN.getProperty(k)));
        return out;
    }

    /** {@link #proven} as lines {@code name<separator>value}. */
    static List<String> provenLines(String prefix, String separator) {
        List<String> out = new ArrayList<>();
        proven(prefix).forEach((k, v) -> out.add(k + separator + v));
        return out;
    }

    String bootstrap() {
        return kafka.bootstrap();
    }

    /** Starts broker {@code n} (1 to 3) on its formatted log (again, after a kill). */
    void startBroker(int n) throws IOException {
        kafka.startBroker(n);
    }

    /** The broker (1 to 3) leading partition {@code partition} of {@code topic}. */
    int leader(String topic, int partition) throws Exception {
        return kafka.leader(topic, partition);
    }

    URI service(String path) {
        return URI.create("http://127.0.0.1:" + servicePort + path);
    }

    /** Starts every part, in dependency order, and submits the job. */
    RehearsalCluster start() throws Exception {
        kafka.start();
        CohortflowTopics.ensure(bootstrap(), TopicNames.DEFAULT, 2);
        flink.start();
        startService();
        flink.submitJob();
        return this;
    }

    // ---- Flink (see RehearsalFlink) ----------------------------------------------------------

    URI flink(String path) {
        return flink.rest(path);
    }

    /** What Flink process {@code name}'s Prometheus reporter serves. */
    URI metrics(String name) {
        return flink.metrics(name);
    }

    Path checkpoints() {
        return flink.checkpoints();
    }

    /** Starts TaskManager {@code n} (again, after a kill). */
    void startTaskManager(int n) throws Exception {
        flink.startTaskManager(n);
    }

    /** Waits until {@code n} TaskManagers are registered. */
    void awaitTaskManagers(int n) {
        flink.awaitTaskManagers(n);
    }

    /** See {@link RehearsalFlink#restartJobManagerFrom}. */
    void restartJobManagerFrom(Path checkpoint) throws Exception {
        flink.restartJobManagerFrom(checkpoint);
    }

    /** The newest completed checkpoint the job left (its {@code chk-N} directory). */
    Path latestCheckpoint() throws IOException {
        return flink.latestCheckpoint();
    }

    /** See {@link RehearsalFlink#rescale}. */
    void rescale(int parallelism) throws Exception {
        flink.rescale(parallelism);
    }

    /** The id of the job running on the cluster. */
    String runningJob() throws Exception {
        return flink.runningJob();
    }

    /** The parallelism of each of the running job's vertices. */
    List<Integer> parallelisms() throws Exception {
        return flink.parallelisms();
    }

    // ---- the service -------------------------------------------------------------------------

    /** Starts the service (again, after a kill: on the same port). */
    void startService() throws Exception {
        if (servicePort == 0) {
            servicePort = ChildProcesses.freePort();
        }
        String cp =
                serviceLib.resolve("cohortflow-service.jar")
                        + File.pathSeparator
                        + serviceLib.resolve("lib").resolve("*");
        processes.start(
                "service",
                processes.java(
                        "service",
                        cp,
                        List.of("-Xmx512m"),
                        "io.cohortflow.servicedist.CohortflowService",
                        List.of(),
                        Map.of(
                                "COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS",
                                bootstrap(),
                                "COHORTFLOW_SERVICE_HOST",
                                "127.0.0.1",
                                "COHORTFLOW_SERVICE_PORT",
                                Integer.toString(servicePort),
                                "COHORTFLOW_API_KEY",
                                API_KEY,
                                "COHORTFLOW_ORG",
                                ORG)));
        ChildProcesses.awaitHttp(
                "the service ready", service("/ready"), r -> r.statusCode() == 200);
    }

    // ---- processes ---------------------------------------------------------------------------

    /**
     * One page view of {@code user} in {@code section} now, as the events topic holds it: the
     * record the fault tests and the soak write (keyed workspace/user, as the service keys it).
     */
    static org.apache.kafka.clients.producer.ProducerRecord<String, String> pageViewRecord(
            String user, String section) {
        return new org.apache.kafka.clients.producer.ProducerRecord<>(
                TopicNames.DEFAULT.events(),
                ORG + "/" + user,
                "{\"workspace\":\""
                        + ORG
                        + "\",\"user_id\":\""
                        + user
                        + "\",\"events\":[{\"name\":\"Pageview\",\"time\":\""
                        + java.time.Instant.now()
                        + "\",\"properties\":{\"section\":\""
                        + section
                        + "\"}}]}");
    }

    /** The process id of each part now running, by name (the soak's memory figures). */
    Map<String, Long> pids() {
        return processes.pids();
    }

    /** {@code kill -9} of one part (a fault test's crash). */
    void kill(String name) throws InterruptedException {
        processes.kill(name);
    }

    @Override
    public void close() {
        processes.close();
    }
}
