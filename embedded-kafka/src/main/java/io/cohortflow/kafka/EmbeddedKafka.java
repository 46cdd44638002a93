package io.cohortflow.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.utils.Time;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, broker and controller in one) inside this JVM, on 127.0.0.1.
 * Used by every Kafka-touching test and by the embedded default, so both meet the same broker.
 * Internal topics use replication factor 1 and min ISR 1, as one node requires.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    /**
     * How to start.
     *
     * @param port the client port, 0 for any free one
     * @param dataDir where the log lives; null for a temporary directory deleted on close. A
     *     directory that already holds a formatted log is reused, so topics survive a restart.
     */
    public record Settings(int port, @Nullable Path dataDir) {
        public static Settings ephemeral() {
            return new Settings(0, null);
        }
    }

    private final KafkaRaftServer server;
    private final Path dir;
    private final boolean ephemeral;
    private final String bootstrap;

    private EmbeddedKafka(KafkaRaftServer server, Path dir, boolean ephemeral, String bootstrap) {
        this.server = server;
        this.dir = dir;
        this.ephemeral = ephemeral;
        this.bootstrap = bootstrap;
    }

    public static EmbeddedKafka start() {
        return start(Settings.ephemeral());
    }

    /**
     * Formats the log directory if needed, starts the broker and waits until it answers.
     *
     * @throws IllegalStateException when the port is taken, with a message saying so
     */
    public static EmbeddedKafka start(Settings settings) {
        try {
            int port = settings.port() == 0 ? FreePorts.next() : requireFree(settings.port());
            int controllerPort = FreePorts.next();
            while (controllerPort == port) { // a fixed port the system hands out too
                controllerPort = FreePorts.next();
            }
            boolean ephemeral = settings.dataDir() == null;
            Path dir =
                    ephemeral
                            ? Files.createTempDirectory("cohortflow-kafka")
                            : Files.createDirectories(settings.dataDir());
            Path logs = Files.createDirectories(dir.resolve("logs"));
            Properties props = properties(port, controllerPort, logs);
            Path config = dir.resolve("server.properties");
            try (Writer w = Files.newBufferedWriter(config)) {
                props.store(w, "written by EmbeddedKafka");
            }
            format(config, clusterId(logs));
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
            server.startup();
            String bootstrap = "127.0.0.1:" + port;
            EmbeddedKafka kafka = new EmbeddedKafka(server, dir, ephemeral, bootstrap);
            kafka.awaitReady(Duration.ofSeconds(60));
            LOG.info("Kafka (KRaft) listening on {} with data in {}", bootstrap, dir);
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Properties properties(int port, int controllerPort, Path logs) {
        Properties p = new Properties();
        p.putAll(
                Map.ofEntries(
                        Map.entry("process.roles", "broker,controller"),
                        Map.entry("node.id", "1"),
                        Map.entry("controller.quorum.voters", "1@127.0.0.1:" + controllerPort),
                        Map.entry(
                                "listeners",
                                "PLAINTEXT://127.0.0.1:"
                                        + port
                                        + ",CONTROLLER://127.0.0.1:"
                                        + controllerPort),
                        Map.entry("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port),
                        Map.entry("controller.listener.names", "CONTROLLER"),
                        Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                        Map.entry(
                                "listener.security.protocol.map",
                                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
                        Map.entry("log.dirs", logs.toString()),
                        // One node: every internal topic has one replica.
                        Map.entry("offsets.topic.replication.factor", "1"),
                        Map.entry("offsets.topic.num.partitions", "4"),
                        Map.entry("transaction.state.log.replication.factor", "1"),
                        Map.entry("transaction.state.log.min.isr", "1"),
                        Map.entry("transaction.state.log.num.partitions", "4"),
                        Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                        Map.entry("share.coordinator.state.topic.min.isr", "1"),
                        Map.entry("group.initial.rebalance.delay.ms", "0"),
                        Map.entry("auto.create.topics.enable", "false"),
                        Map.entry("num.partitions", "1"),
                        // Small segments so compaction of small topics is observable locally.
                        Map.entry("log.cleaner.backoff.ms", "1000"),
                        // The cleaner allocates its key table on the heap at start: 128 MB by
                        // default, a permanent eighth of the one-process stack's heap, which kept
                        // a 1 GB broker in back-to-back marking cycles (remarks up to 40 ms).
                        // 16 MB holds 700 000 keys per pass; a larger topic takes more passes.
                        Map.entry("log.cleaner.dedupe.buffer.size", Integer.toString(16 << 20))));
        return p;
    }

    /** {@code kafka-storage format}, which returns a code here rather than exiting the JVM. */
    private static void format(Path config, String clusterId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            code =
                    StorageTool.execute(
                            new String[] {
                                "format",
                                "--config",
                                config.toString(),
                                // One argument: an id may start with '-' (URL-safe base64), which
                                // a separate argument would make look like an option.
                                "--cluster-id=" + clusterId,
                                "--ignore-formatted"
                            },
                            ps);
        }
        if (code != 0) {
            throw new IllegalStateException(
                    "formatting the Kafka log failed: " + out.toString(StandardCharsets.UTF_8));
        }
    }

    /** The id of an already formatted log, else a new one. */
    private static String clusterId(Path logs) throws IOException {
        Path meta = logs.resolve("meta.properties");
        if (Files.exists(meta)) {
            Properties p = new Properties();
            try (var in = Files.newInputStream(meta)) {
                p.load(in);
            }
            String id = p.getProperty("cluster.id");
            if (id != null) {
                return id;
            }
        }
        return newClusterId();
    }

    /** A Kafka cluster id: 16 random bytes in URL-safe base64 without padding. */
    private static String newClusterId() {
        UUID u = UUID.randomUUID();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(
                                "Kafka did not become ready in " + timeout, e);
                    }
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka", e);
        }
    }

    /** {@code host:port} for clients. */
    public String bootstrapServers() {
        return bootstrap;
    }

    public Path dataDir() {
        return dir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (ephemeral) {
            deleteRecursively(dir);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}", dir, e);
        }
    }

    /** Fails with a clear message when something already listens on the port. */
    public static int requireFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return port;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "port "
                            + port
                            + " on 127.0.0.1 is already in use; stop what listens there or"
                            + " choose another port",
                    e);
        }
    }
}
