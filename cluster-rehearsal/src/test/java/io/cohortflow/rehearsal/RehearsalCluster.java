package io.cohortflow.rehearsal;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.kafka.CohortflowTopics;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.awaitility.Awaitility;

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
    private static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();

    /**
     * The settings this rehearsal proves, shared with deploy-check's RehearsalSettingsTest, which
     * holds docker/ and k8s/ to them ({@code rehearsal-settings.properties}).
     */
    static final Properties PROVEN = loadProven();

    /** What Flink's scripts pass (the distribution's env.java.default-opts.all). */
    private static final List<String> FLINK_JVM_OPTS =
            List.of(
                    "--add-opens=java.base/java.lang=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                    "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.net=ALL-UNNAMED",
                    "--add-opens=java.base/java.time=ALL-UNNAMED");

    private final Path work;
    private final String kafkaClasspath;
    private final String flinkClasspath;
    private final Path jobJar;
    private final Path serviceLib;
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final int[] brokerPorts =
            new int[Integer.parseInt(PROVEN.getProperty("kafka.brokers"))];
    private final int[] controllerPorts = new int[brokerPorts.length];
    private int restPort;
    private int servicePort;

    /** The port of each Flink process's Prometheus reporter, by process name. */
    private final Map<String, Integer> metricsPorts = new LinkedHashMap<>();

    private Path flinkConf;

    RehearsalCluster(Path work) throws IOException, java.net.URISyntaxException {
        // A fresh directory: brokers formatted by an earlier run would not join this cluster.
        deleteTree(work);
        this.work = Files.createDirectories(work);
        this.kafkaClasspath = read(System.getProperty("cohortflow.kafkaClasspath"));
        // The image's lib directory, and the Prometheus reporter (a plugin in the image) with the
        // factory that binds it to loopback (this module's test classes).
        this.flinkClasspath =
                String.join(
                        java.io.File.pathSeparator,
                        read(System.getProperty("cohortflow.flinkLib")),
                        read(System.getProperty("cohortflow.reporterClasspath")),
                        Path.of(
                                        org.apache.flink.metrics.prometheus
                                                .LoopbackPrometheusReporterFactory.class
                                                .getProtectionDomain()
                                                .getCodeSource()
                                                .getLocation()
                                                .toURI())
                                .toString());
        this.jobJar = Path.of(System.getProperty("cohortflow.jobJar"));
        this.serviceLib = Path.of(System.getProperty("cohortflow.serviceLib"));
    }

    private static String read(String file) throws IOException {
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
    private static List<String> provenLines(String prefix, String separator) {
        List<String> out = new ArrayList<>();
        proven(prefix).forEach((k, v) -> out.add(k + separator + v));
        return out;
    }

    String bootstrap() {
        List<String> out = new ArrayList<>();
        for (int p : brokerPorts) {
            out.add("127.0.0.1:" + p);
        }
        return String.join(",", out);
    }

    URI service(String path) {
        return URI.create("http://127.0.0.1:" + servicePort + path);
    }

    /** What Flink process {@code name}'s Prometheus reporter serves. */
    URI metrics(String name) {
        Integer port = metricsPorts.get(name);
        if (port == null) {
            throw new IllegalArgumentException("no Flink process " + name);
        }
        return URI.create("http://127.0.0.1:" + port + "/metrics");
    }

    URI flink(String path) {
        return URI.create("http://127.0.0.1:" + restPort + path);
    }

    Path checkpoints() {
        return work.resolve("checkpoints");
    }

    /** Starts every part, in dependency order, and submits the job. */
    RehearsalCluster start() throws Exception {
        startBrokers();
        CohortflowTopics.ensure(bootstrap(), TopicNames.DEFAULT, 2);
        startFlink();
        startService();
        submitJob();
        return this;
    }

    // ---- Kafka -------------------------------------------------------------------------------

    private void startBrokers() throws Exception {
        for (int i = 0; i < brokerPorts.length; i++) {
            brokerPorts[i] = freePort();
            controllerPorts[i] = freePort();
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
            server.addAll(provenLines("kafka.broker.", "="));
            Files.writeString(props, String.join("\n", server) + "\n");
            Process format =
                    java(
                                    "format-broker-" + (i + 1),
                                    kafkaClasspath,
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
        start(
                "broker-" + n,
                java(
                        "broker-" + n,
                        kafkaClasspath,
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

    // ---- Flink -------------------------------------------------------------------------------

    private void startFlink() throws Exception {
        restPort = freePort();
        flinkConf = Files.createDirectories(work.resolve("flink-conf"));
        List<String> config =
                new ArrayList<>(
                        List.of(
                                "jobmanager.rpc.address: 127.0.0.1",
                                "jobmanager.rpc.port: " + freePort(),
                                "jobmanager.bind-host: 127.0.0.1",
                                "taskmanager.bind-host: 127.0.0.1",
                                "taskmanager.host: 127.0.0.1",
                                "rest.address: 127.0.0.1",
                                "rest.bind-address: 127.0.0.1",
                                "rest.port: " + restPort,
                                "jobmanager.memory.process.size: 768m",
                                "taskmanager.memory.process.size: 1024m",
                                "taskmanager.memory.managed.size: 128m",
                                "parallelism.default: 2",
                                "execution.checkpointing.dir: " + checkpoints().toUri(),
                                "execution.checkpointing.savepoint-dir: "
                                        + work.resolve("savepoints").toUri(),
                                "io.tmp.dirs: "
                                        + Files.createDirectories(work.resolve("flink-tmp")),
                                // Each process's port is its own: see startFlinkProcess.
                                "metrics.reporters: prom",
                                "metrics.reporter.prom.factory.class: "
                                        + org.apache.flink.metrics.prometheus
                                                .LoopbackPrometheusReporterFactory.class
                                                .getName()));
        // Slots, state backend, checkpointing: the proven settings.
        config.addAll(provenLines("flink.", ": "));
        Files.writeString(flinkConf.resolve("config.yaml"), String.join("\n", config) + "\n");
        Files.writeString(
                flinkConf.resolve("log4j.properties"),
                "rootLogger.level = INFO\n"
                        + "rootLogger.appenderRef.out.ref = out\n"
                        + "appender.out.type = Console\n"
                        + "appender.out.name = out\n"
                        + "appender.out.layout.type = PatternLayout\n"
                        + "appender.out.layout.pattern = %d{HH:mm:ss.SSS} %-5level %c{1} - %msg%n\n"
                        + "logger.kafka.name = org.apache.kafka\n"
                        + "logger.kafka.level = WARN\n");
        startFlinkProcess(
                "jobmanager",
                "GET_JM_RESOURCE_PARAMS",
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
        startTaskManager(1);
        startTaskManager(2);
        awaitHttp(
                "two TaskManagers registered",
                flink("/taskmanagers"),
                r -> r.body().split("\"id\"").length == 3);
    }

    /** Starts TaskManager {@code n} (again, after a kill). */
    void startTaskManager(int n) throws Exception {
        startFlinkProcess(
                "taskmanager-" + n,
                "GET_TM_RESOURCE_PARAMS",
                "org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
    }

    /**
     * A Flink process as Flink's scripts start one: its JVM memory options and dynamic settings
     * computed from the configuration by {@code BashJavaUtils}, then the entry point.
     */
    private void startFlinkProcess(String name, String resourceCommand, String main)
            throws Exception {
        Process utils =
                java(
                                name + "-resources",
                                flinkClasspath,
                                List.of("-Xmx128m"),
                                "org.apache.flink.runtime.util.bash.BashJavaUtils",
                                List.of(resourceCommand, "--configDir", flinkConf.toString()),
                                Map.of())
                        .redirectOutput(ProcessBuilder.Redirect.PIPE)
                        .start();
        String out = new String(utils.getInputStream().readAllBytes());
        if (!utils.waitFor(60, TimeUnit.SECONDS) || utils.exitValue() != 0) {
            throw new IllegalStateException(name + ": BashJavaUtils failed: " + out);
        }
        List<String> results = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:")) {
                results.add(line.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length()).trim());
            }
        }
        List<String> jvm = new ArrayList<>(List.of(results.get(0).split("\\s+")));
        jvm.addAll(FLINK_JVM_OPTS);
        jvm.add("-Dlog4j.configurationFile=" + flinkConf.resolve("log4j.properties").toUri());
        jvm.add("-Dlog.file=" + work.resolve(name + ".flink.log"));
        List<String> args = new ArrayList<>(List.of("--configDir", flinkConf.toString()));
        if (results.size() > 1 && !results.get(1).isBlank()) {
            args.addAll(List.of(results.get(1).split("\\s+")));
        }
        int metricsPort = freePort();
        metricsPorts.put(name, metricsPort);
        args.addAll(List.of("-D", "metrics.reporter.prom.port=" + metricsPort));
        start(
                name,
                java(
                        name,
                        flinkClasspath,
                        jvm,
                        main,
                        args,
                        Map.of("FLINK_CONF_DIR", flinkConf.toString())));
    }

    /** {@code flink run -d cohortflow-job.jar} against the cluster, settings by environment. */
    private void submitJob() throws Exception {
        submitJob(null);
    }

    /**
     * Starts the JobManager again after a crash (no HA: the job died with it; the TaskManagers
     * register with the new one) and submits the job restored from {@code checkpoint}.
     */
    void restartJobManagerFrom(Path checkpoint) throws Exception {
        long start = System.nanoTime();
        startFlinkProcess(
                "jobmanager",
                "GET_JM_RESOURCE_PARAMS",
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
        awaitHttp(
                "two TaskManagers registered again",
                flink("/taskmanagers"),
                r -> r.body().split("\"id\"").length == 3);
        double registered = (System.nanoTime() - start) / 1e9;
        submitJob(checkpoint);
        // Where the recovery's time goes: the TaskManagers leave the dead JobManager only when
        // its heartbeats time out, then register with the new one; the rest is the job's.
        System.out.printf(
                "REHEARSAL jobmanager restarted: TaskManagers registered with it %.1f s after its"
                        + " start (heartbeat.timeout %s), the job submitted from %s %.1f s after"
                        + " it%n",
                registered,
                PROVEN.getProperty("flink.heartbeat.timeout", "50000 ms, Flink's default"),
                checkpoint.getFileName(),
                (System.nanoTime() - start) / 1e9);
    }

    /** The newest completed checkpoint the job left (its {@code chk-N} directory). */
    Path latestCheckpoint() throws IOException {
        try (var s = Files.walk(checkpoints(), 3)) {
            return s.filter(p -> p.getFileName().toString().equals("_metadata"))
                    .max(
                            java.util.Comparator.comparing(
                                    p -> {
                                        try {
                                            return Files.getLastModifiedTime(p);
                                        } catch (IOException e) {
                                            throw new UncheckedIOException(e);
                                        }
                                    }))
                    .map(Path::getParent)
                    .orElseThrow(() -> new IllegalStateException("no completed checkpoint"));
        }
    }

    private void submitJob(Path restoreFrom) throws Exception {
        submitJob(restoreFrom, 2);
    }

    /**
     * Stops the job with a savepoint (Flink's REST API), and submits it again from the savepoint
     * with {@code parallelism}: the rescale of docs/operations.md, "Scaling".
     */
    void rescale(int parallelism) throws Exception {
        String job = runningJob();
        HttpResponse<String> stop =
                HTTP.send(
                        HttpRequest.newBuilder(flink("/jobs/" + job + "/stop"))
                                .header("Content-Type", "application/json")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"drain\":false,\"targetDirectory\":\""
                                                        + work.resolve("savepoints").toUri()
                                                        + "\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        String trigger =
                io.cohortflow.core.contract.Json.MAPPER
                        .readTree(stop.body())
                        .get("request-id")
                        .asText();
        String[] location = new String[1];
        Awaitility.await("the savepoint of the rescale")
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> {
                            var s =
                                    io.cohortflow.core.contract.Json.MAPPER.readTree(
                                            HTTP.send(
                                                            HttpRequest.newBuilder(
                                                                            flink(
                                                                                    "/jobs/"
                                                                                            + job
                                                                                            + "/savepoints/"
                                                                                            + trigger))
                                                                    .build(),
                                                            HttpResponse.BodyHandlers.ofString())
                                                    .body());
                            if (!s.at("/status/id").asText().equals("COMPLETED")) {
                                return false;
                            }
                            location[0] = s.at("/operation/location").asText();
                            return !location[0].isEmpty();
                        });
        submitJob(Path.of(URI.create(location[0])), parallelism);
    }

    /** The id of the job running on the cluster. */
    String runningJob() throws Exception {
        var jobs =
                io.cohortflow.core.contract.Json.MAPPER.readTree(
                        HTTP.send(
                                        HttpRequest.newBuilder(flink("/jobs")).build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body());
        for (var j : jobs.get("jobs")) {
            if (j.get("status").asText().equals("RUNNING")) {
                return j.get("id").asText();
            }
        }
        throw new IllegalStateException("no running job: " + jobs);
    }

    /** The parallelism of each of the running job's vertices. */
    List<Integer> parallelisms() throws Exception {
        var job =
                io.cohortflow.core.contract.Json.MAPPER.readTree(
                        HTTP.send(
                                        HttpRequest.newBuilder(flink("/jobs/" + runningJob()))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body());
        List<Integer> out = new ArrayList<>();
        job.get("vertices").forEach(v -> out.add(v.get("parallelism").asInt()));
        return out;
    }

    /** Waits until {@code n} TaskManagers are registered. */
    void awaitTaskManagers(int n) {
        awaitHttp(
                n + " TaskManagers registered",
                flink("/taskmanagers"),
                r -> r.body().split("\"id\"").length == n + 1);
    }

    private void submitJob(Path restoreFrom, int parallelism) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FLINK_CONF_DIR", flinkConf.toString());
        env.put("COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS", bootstrap());
        env.put("COHORTFLOW_JOB_PARALLELISM", Integer.toString(parallelism));
        env.put("COHORTFLOW_JOB_CHECKPOINT_DIR", checkpoints().toUri().toString());
        env.put("COHORTFLOW_JOB_CHECKPOINT_INTERVAL", "PT1S");
        env.putAll(proven("job."));
        Process submit =
                java(
                                "submit",
                                flinkClasspath,
                                new ArrayList<>(FLINK_JVM_OPTS),
                                "org.apache.flink.client.cli.CliFrontend",
                                submitArguments(restoreFrom),
                                env)
                        .start();
        if (!submit.waitFor(120, TimeUnit.SECONDS) || submit.exitValue() != 0) {
            throw new IllegalStateException(
                    "submitting the job failed; see " + work.resolve("submit.log"));
        }
    }

    private List<String> submitArguments(Path restoreFrom) {
        List<String> args = new ArrayList<>(List.of("run", "-m", "127.0.0.1:" + restPort, "-d"));
        if (restoreFrom != null) {
            args.addAll(List.of("-s", restoreFrom.toUri().toString()));
        }
        args.add(jobJar.toAbsolutePath().toString());
        return args;
    }

    // ---- the service -------------------------------------------------------------------------

    /** Starts the service (again, after a kill: on the same port). */
    void startService() throws Exception {
        if (servicePort == 0) {
            servicePort = freePort();
        }
        String cp =
                serviceLib.resolve("cohortflow-service.jar")
                        + File.pathSeparator
                        + serviceLib.resolve("lib").resolve("*");
        start(
                "service",
                java(
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
        awaitHttp("the service ready", service("/ready"), r -> r.statusCode() == 200);
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Asks {@code uri} until its answer passes {@code done} (a part starting up). */
    private static void awaitHttp(
            String what, URI uri, java.util.function.Predicate<HttpResponse<String>> done) {
        Awaitility.await(what)
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(
                        () ->
                                done.test(
                                        HTTP.send(
                                                HttpRequest.newBuilder(uri).build(),
                                                HttpResponse.BodyHandlers.ofString())));
    }

    // ---- processes ---------------------------------------------------------------------------

    private ProcessBuilder java(
            String name,
            String classpath,
            List<String> jvm,
            String main,
            List<String> args,
            Map<String, String> env) {
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        cmd.addAll(jvm);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(main);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.directory(work.toFile());
        pb.environment()
                .keySet()
                .removeIf(k -> k.startsWith("COHORTFLOW_") || k.startsWith("FLINK_"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(name + ".log").toFile()));
        return pb;
    }

    private void start(String name, ProcessBuilder pb) throws IOException {
        processes.put(name, pb.start());
    }

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
        Map<String, Long> out = new LinkedHashMap<>();
        processes.forEach(
                (name, p) -> {
                    if (p.isAlive()) {
                        out.put(name, p.pid());
                    }
                });
        return out;
    }

    /** {@code kill -9} of one part (a fault test's crash). */
    void kill(String name) throws InterruptedException {
        Process p = processes.remove(name);
        if (p != null) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        List<String> names = new ArrayList<>(processes.keySet());
        java.util.Collections.reverse(names);
        for (String n : names) {
            Process p = processes.get(n);
            p.destroy();
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        processes.clear();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
