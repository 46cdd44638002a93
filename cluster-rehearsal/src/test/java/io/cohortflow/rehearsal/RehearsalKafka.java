package io.cohortflow.rehearsal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.awaitility.Awaitility;

/**
 * The rehearsal's Kafka: three KRaft brokers, each broker and controller of a static quorum of the
 * three, formatted with {@code kafka.tools.StorageTool} and started as {@code kafka.Kafka}, with
 * the proven replication settings (replication factor 3, min ISR 2).
 */
final class RehearsalKafka {
    private final ChildProcesses processes;
    private final Path work;
    private final String classpath;
    private final int[] brokerPorts =
            new int[Integer.parseInt(RehearsalCluster.PROVEN.getProperty("kafka.brokers"))];
    private final int[] controllerPorts = new int[brokerPorts.length];

    RehearsalKafka(ChildProcesses processes, Path work, String classpath) {
        this.processes = processes;
        this.work = work;
        this.classpath = classpath;
    }

    String bootstrap() {
        List<String> out = new ArrayList<>();
        for (int p : brokerPorts) {
            out.add("127.0.0.1:" + p);
        }
        return String.join(",", out);
    }

    /** Formats and starts the brokers, and waits until all have joined. */
    void start() throws Exception {
        for (int i = 0; i < brokerPorts.length; i++) {
            brokerPorts[i] = ChildProcesses.freePort();
            controllerPorts[i] = ChildProcesses.freePort();
        }
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < brokerPorts.length; i++) {
            voters.append(i == 0 ? "" : ",")
                    .append(i + 1)
                    .append("@127.0.0.1:")
                    .append(controllerPorts[i]);
        }
        String clusterId = Uuid.randomUuid().toString();
        for (int i = 0; i < brokerPorts.length; i++) {
            Path dir = Files.createDirectories(work.resolve("broker-" + (i + 1)));
            Path props = dir.resolve("server.properties");
            List<String> server =
                    new ArrayList<>(
                            List.of(
                                    "process.roles=broker,controller",
                                    "node.id=" + (i + 1),
                                    "controller.quorum.voters=" + voters,
                                    "listeners=PLAINTEXT://127.0.0.1:"
                                            + brokerPorts[i]
                                            + ",CONTROLLER://127.0.0.1:"
                                            + controllerPorts[i],
                                    "advertised.listeners=PLAINTEXT://127.0.0.1:" + brokerPorts[i],
                                    "controller.listener.names=CONTROLLER",
                                    "inter.broker.listener.name=PLAINTEXT",
                                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                                    "log.dirs=" + dir.resolve("log"),
                                    "group.initial.rebalance.delay.ms=0"));
            // Cohortflow's topics as production has them: three replicas, two in sync for a
            // write to count (the proven settings, docs/operations.md).
            server.addAll(RehearsalCluster.provenLines("kafka.broker.", "="));
            Files.writeString(props, String.join("\n", server) + "\n");
            Process format =
                    processes
                            .java(
                                    "format-broker-" + (i + 1),
                                    classpath,
                                    List.of("-Xmx256m"),
                                    "kafka.tools.StorageTool",
                                    List.of(
                                            "format",
                                            "--config",
                                            props.toString(),
                                            "--cluster-id=" + clusterId),
                                    Map.of())
                            .start();
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                throw new IllegalStateException("formatting broker " + (i + 1) + " failed");
            }
            startBroker(i + 1);
        }
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
            Awaitility.await("three brokers")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(
                            () ->
                                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size()
                                            == brokerPorts.length);
        }
    }

    /** Starts broker {@code n} (1 to 3) on its formatted log (again, after a kill). */
    void startBroker(int n) throws IOException {
        Path props = work.resolve("broker-" + n).resolve("server.properties");
        processes.start(
                "broker-" + n,
                processes.java(
                        "broker-" + n,
                        classpath,
                        List.of("-Xmx512m"),
                        "kafka.Kafka",
                        List.of(props.toString()),
                        Map.of()));
    }

    /** The broker (1 to 3) leading partition {@code partition} of {@code topic}. */
    int leader(String topic, int partition) throws Exception {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
            return admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .get(partition)
                    .leader()
                    .id();
        }
    }
}
