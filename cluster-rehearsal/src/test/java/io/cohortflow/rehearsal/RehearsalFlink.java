package io.cohortflow.rehearsal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * The rehearsal's Flink: a standalone session cluster (a JobManager and TaskManagers, each a JVM
 * started as Flink's scripts start it, from the image's lib directory), RocksDB and checkpoints on
 * local disk, Flink's Prometheus reporter on each process, and the job jar submitted with Flink's
 * command line, settings by environment as in a pod.
 */
final class RehearsalFlink {
    /**
     * What Flink's scripts pass to every Flink JVM (the distribution's env.java.default-opts.all),
     * from job-dist's list, which its own test of the job jar uses too.
     */
    private static final List<String> FLINK_JVM_OPTS = jvmOptions();

    private static List<String> jvmOptions() {
        try {
            return Files.readAllLines(Path.of(System.getProperty("cohortflow.flinkJvmOptions")))
                    .stream()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private final ChildProcesses processes;
    private final Path work;
    private final RehearsalKafka kafka;
    private final String flinkClasspath;
    private final Path jobJar;
    private int restPort;
    private Path flinkConf;

    /** The port of each Flink process's Prometheus reporter, by process name. */
    private final Map<String, Integer> metricsPorts = new LinkedHashMap<>();

    RehearsalFlink(
            ChildProcesses processes, Path work, RehearsalKafka kafka, String lib, Path jobJar)
            throws java.net.URISyntaxException, IOException {
        this.processes = processes;
        this.work = work;
        this.kafka = kafka;
        // The image's lib directory, and the Prometheus reporter (a plugin in the image) with the
        // factory that binds it to loopback (this module's test classes).
        this.flinkClasspath =
                String.join(
                        java.io.File.pathSeparator,
                        lib,
                        RehearsalCluster.read(System.getProperty("cohortflow.reporterClasspath")),
                        Path.of(
                                        org.apache.flink.metrics.prometheus
                                                .LoopbackPrometheusReporterFactory.class
                                                .getProtectionDomain()
                                                .getCodeSource()
                                                .getLocation()
                                                .toURI())
                                .toString());
        this.jobJar = jobJar;
    }

    /** What Flink process {@code name}'s Prometheus reporter serves. */
    URI metrics(String name) {
        Integer port = metricsPorts.get(name);
        if (port == null) {
            throw new IllegalArgumentException("no Flink process " + name);
        }
        return URI.create("http://127.0.0.1:" + port + "/metrics");
    }

    /** Flink's REST API. */
    URI rest(String path) {
        return URI.create("http://127.0.0.1:" + restPort + path);
    }

    Path checkpoints() {
        return work.resolve("checkpoints");
    }

    /** A JobManager and two TaskManagers, from the proven settings. */
    void start() throws Exception {
        restPort = ChildProcesses.freePort();
        flinkConf = Files.createDirectories(work.resolve("flink-conf"));
        List<String> config =
                new ArrayList<>(
                        List.of(
                                "jobmanager.rpc.address: 127.0.0.1",
                                "jobmanager.rpc.port: " + ChildProcesses.freePort(),
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
                                "state.changelog.dstl.dfs.base-path: "
                                        + checkpoints().resolve("changelog").toUri(),
                                "io.tmp.dirs: "
                                        + Files.createDirectories(work.resolve("flink-tmp")),
                                // Each process's port is its own: see startFlinkProcess.
                                "metrics.reporters: prom",
                                "metrics.reporter.prom.factory.class: "
                                        + org.apache.flink.metrics.prometheus
                                                .LoopbackPrometheusReporterFactory.class
                                                .getName()));
        // Slots, state backend, checkpointing: the proven settings.
        config.addAll(RehearsalCluster.provenLines("flink.", ": "));
        Files.writeString(flinkConf.resolve("config.yaml"), String.join("\n", config) + "\n");
        Files.copy(
                Path.of(System.getProperty("cohortflow.flinkLog4j")),
                flinkConf.resolve("log4j.properties"));
        startFlinkProcess(
                "jobmanager",
                "GET_JM_RESOURCE_PARAMS",
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
        startTaskManager(1);
        startTaskManager(2);
        ChildProcesses.awaitHttp(
                "two TaskManagers registered",
                rest("/taskmanagers"),
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
                processes
                        .java(
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
        int metricsPort = ChildProcesses.freePort();
        metricsPorts.put(name, metricsPort);
        args.addAll(List.of("-D", "metrics.reporter.prom.port=" + metricsPort));
        processes.start(
                name,
                processes.java(
                        name,
                        flinkClasspath,
                        jvm,
                        main,
                        args,
                        Map.of("FLINK_CONF_DIR", flinkConf.toString())));
    }

    /** {@code flink run -d cohortflow-job.jar} against the cluster, settings by environment. */
    void submitJob() throws Exception {
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
        ChildProcesses.awaitHttp(
                "two TaskManagers registered again",
                rest("/taskmanagers"),
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
                RehearsalCluster.PROVEN.getProperty(
                        "flink.heartbeat.timeout", "50000 ms, Flink's default"),
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
                ChildProcesses.HTTP.send(
                        HttpRequest.newBuilder(rest("/jobs/" + job + "/stop"))
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
                                            ChildProcesses.HTTP
                                                    .send(
                                                            HttpRequest.newBuilder(
                                                                            rest(
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
                        ChildProcesses.HTTP
                                .send(
                                        HttpRequest.newBuilder(rest("/jobs")).build(),
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
                        ChildProcesses.HTTP
                                .send(
                                        HttpRequest.newBuilder(rest("/jobs/" + runningJob()))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body());
        List<Integer> out = new ArrayList<>();
        job.get("vertices").forEach(v -> out.add(v.get("parallelism").asInt()));
        return out;
    }

    /** Waits until {@code n} TaskManagers are registered. */
    void awaitTaskManagers(int n) {
        ChildProcesses.awaitHttp(
                n + " TaskManagers registered",
                rest("/taskmanagers"),
                r -> r.body().split("\"id\"").length == n + 1);
    }

    /** {@code flink run -d} of the job jar, from {@code restoreFrom} when given. */
    void submitJob(Path restoreFrom, int parallelism) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FLINK_CONF_DIR", flinkConf.toString());
        env.put("COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap());
        env.put("COHORTFLOW_JOB_PARALLELISM", Integer.toString(parallelism));
        env.put("COHORTFLOW_JOB_CHECKPOINT_DIR", checkpoints().toUri().toString());
        env.put("COHORTFLOW_JOB_CHECKPOINT_INTERVAL", "PT1S");
        env.putAll(RehearsalCluster.proven("job."));
        Process submit =
                processes
                        .java(
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
}
