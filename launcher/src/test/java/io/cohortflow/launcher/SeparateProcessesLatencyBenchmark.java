package io.cohortflow.launcher;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.job.CohortflowJob;
import io.cohortflow.job.JobConfig;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.service.CohortflowServer;
import io.cohortflow.service.config.ServiceConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@link LatencyBenchmark} with broker, job and service as separate processes, as deployed: a KRaft
 * broker JVM, the job in its own JVM (a local Flink cluster, RocksDB, parallelism 2), the service
 * in its own, and this JVM as the load generator. Besides latency it prints each process's CPU time
 * per request (from {@code /proc/<pid>/stat}), which says where a request's cost goes.
 *
 * <pre>
 * java -cp "launcher/target/test-classes:launcher/target/classes:launcher/target/lib/*" \
 *   io.cohortflow.launcher.SeparateProcessesLatencyBenchmark 100,200,500 15
 * </pre>
 *
 * <p>The same class is each child's main: {@code broker <dir>}, {@code job <bootstrap> <dir> <rest
 * port>}, {@code service <bootstrap>}; each prints {@code READY <address>} and runs until its
 * standard input closes.
 */
public final class SeparateProcessesLatencyBenchmark {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && List.of("broker", "job", "service").contains(args[0])) {
            child(args);
            return;
        }
        int[] rates =
                Arrays.stream((args.length > 0 ? args[0] : "100,200,500").split(","))
                        .mapToInt(Integer::parseInt)
                        .toArray();
        int seconds = Math.min(60, args.length > 1 ? Integer.parseInt(args[1]) : 10);
        Path data = Files.createTempDirectory("cohortflow-processes");
        // The children take every -Dcohortflow.* property: the job's working directory too.
        Path stateDir = LatencyBenchmark.stateLocalDir();
        if (stateDir != null) {
            System.setProperty(JobConfig.STATE_LOCAL_DIR.key(), stateDir.toString());
        }
        List<Process> started = new ArrayList<>();
        try {
            Map<String, Process> parts = new LinkedHashMap<>();
            Process broker = spawn(started, "broker", data.resolve("kafka").toString());
            String bootstrap = ready(broker);
            parts.put("broker", broker);
            int flinkPort = LatencyBenchmark.freePort();
            Process job =
                    spawn(
                            started,
                            "job",
                            bootstrap,
                            data.resolve("job").toString(),
                            Integer.toString(flinkPort));
            ready(job);
            String flink = "http://127.0.0.1:" + flinkPort;
            parts.put("job", job);
            Process service = spawn(started, "service", bootstrap);
            String base = "http://127.0.0.1:" + ready(service);
            parts.put("service", service);

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            awaitAnswers(http, base);
            List<Long> pids = new ArrayList<>();
            pids.add(ProcessHandle.current().pid());
            parts.values().forEach(p -> pids.add(p.pid()));
            List<String> users = LatencyBenchmark.prepare(http, base, pids);
            System.out.printf(
                    "%n%s  %s  %s  %s%n",
                    LatencyBenchmark.HEADER,
                    "cpu ms/request: broker / job / service / generator; machine cpu %; JIT cores",
                    "service-side p50 / p99 / p99.9 ms",
                    CHECKPOINTS_HEADER);
            var os =
                    (com.sun.management.OperatingSystemMXBean)
                            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            int cores = Runtime.getRuntime().availableProcessors();
            Map<Integer, LatencyBenchmark.Result> results = new LinkedHashMap<>();
            for (int rate : rates) {
                LatencyBenchmark.settle(base, users, pids, rate);
                var served = ServiceSideLatency.scrape(http, base);
                Map<String, Long> before = cpuNanos(parts);
                long self0 = os.getProcessCpuTime();
                Map<String, Long> jit0 = ProcessCpu.compilerNanos(pids);
                long wall0 = System.nanoTime();
                long started0 = System.currentTimeMillis();
                LatencyBenchmark.Result r = LatencyBenchmark.run(base, users, rate, seconds);
                double wall = System.nanoTime() - wall0;
                double jit = ProcessCpu.spent(jit0, ProcessCpu.compilerNanos(pids));
                Map<String, Long> after = cpuNanos(parts);
                double self = os.getProcessCpuTime() - self0;
                double total = self;
                StringBuilder perPart = new StringBuilder();
                for (String part : parts.keySet()) {
                    double used = after.get(part) - before.get(part);
                    total += used;
                    perPart.append(String.format("%.2f / ", used / r.sent() / 1e6));
                }
                perPart.append(
                        String.format(
                                "%.2f; %.0f %%; %.2f",
                                self / r.sent() / 1e6, 100 * total / wall / cores, jit / wall));
                System.out.printf(
                        "%s  %s  %s  %s%n",
                        r.row(rate),
                        perPart,
                        ServiceSideLatency.row(served, ServiceSideLatency.scrape(http, base)),
                        CheckpointPauses.read(http, flink, started0, System.currentTimeMillis())
                                .row(r));
                results.put(rate, r);
            }
            System.out.println(LatencyBenchmark.summary(results));
        } finally {
            // Closing a child's standard input stops it cleanly; what does not stop is killed.
            for (int i = started.size() - 1; i >= 0; i--) {
                Process p = started.get(i);
                p.getOutputStream().close();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
                }
            }
            LatencyBenchmark.deleteTree(stateDir);
            LatencyBenchmark.deleteTree(data);
        }
    }

    static final String CHECKPOINTS_HEADER =
            "checkpoints: segmentation task's pause, sync p50 / p90 / max ms, align p90;"
                    + " p99 ms in the "
                    + CheckpointPauses.AFTER_TRIGGER_MS
                    + " ms after a trigger / later (share)";

    static final List<String> BROKER_JVM =
            List.of(
                    "-Xms512m",
                    "-Xmx512m",
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-XX:InitiatingHeapOccupancyPercent=35",
                    "-XX:+ExplicitGCInvokesConcurrent");

    private static Process spawn(List<Process> started, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(
                switch (args[0]) {
                    case "job" -> List.of("-Xmx3g");
                    // As the deployed brokers run: the heap of docker/compose.yaml and the
                    // collector
                    // settings Kafka's own start script gives every broker (kafka-run-class.sh).
                    case "broker" -> BROKER_JVM;
                    default -> List.of("-Xmx1g");
                });
        // JVM options for one part: -Dopts.broker="-Xmx2g -XX:MaxGCPauseMillis=20".
        String opts = System.getProperty("opts." + args[0], "").trim();
        if (!opts.isEmpty()) {
            cmd.addAll(Arrays.asList(opts.split("\\s+")));
        }
        // Settings for a child (-Dcohortflow.job.checkpoint-interval=10s, -Dflink.*) go to every
        // child.
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("cohortflow.") || name.startsWith("flink.")) {
                cmd.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(SeparateProcessesLatencyBenchmark.class.getName());
        cmd.addAll(List.of(args));
        // One stream, so that a child that ends before it is ready can be told apart by its output.
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    /** The address a child printed once ready ({@code READY <address>}). */
    private static String ready(Process p) throws IOException {
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Deque<String> last = new ArrayDeque<>();
        String line;
        while ((line = out.readLine()) != null) {
            last.addLast(line);
            if (last.size() > 40) {
                last.removeFirst();
            }
            if (line.startsWith("READY ")) {
                String address = line.substring("READY ".length());
                // Keep draining the child's output, so that it never blocks on a full pipe.
                Thread drain =
                        new Thread(
                                () -> {
                                    try {
                                        while (out.readLine() != null) {
                                            // discarded
                                        }
                                    } catch (IOException e) {
                                        // the child ended
                                    }
                                });
                drain.setDaemon(true);
                drain.start();
                return address;
            }
        }
        throw new IllegalStateException(
                "a child process ended before it was ready; its last output:\n"
                        + String.join("\n", last));
    }

    /** Waits until the job answers a lookup: it has read the definitions and runs. */
    private static void awaitAnswers(HttpClient http, String base) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        URI uri = URI.create(base + "/ccs/v1/segmentation?k=bench-key");
        while (true) {
            HttpResponse<String> r =
                    http.send(
                            HttpRequest.newBuilder(uri)
                                    .header("Content-Type", "application/json")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"user_id\":\"" + UUID.randomUUID() + "\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the job did not answer in 180 s: " + r.body());
            }
            Thread.sleep(500);
        }
    }

    /** CPU time (user + system) of each process. */
    private static Map<String, Long> cpuNanos(Map<String, Process> parts) throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (Map.Entry<String, Process> e : parts.entrySet()) {
            out.put(e.getKey(), ProcessCpu.totalNanos(e.getValue().pid()));
        }
        return out;
    }

    // ---- the children ----------------------------------------------------------------------

    private static void child(String[] args) throws Exception {
        switch (args[0]) {
            case "broker" -> {
                try (EmbeddedKafka kafka =
                        EmbeddedKafka.start(new EmbeddedKafka.Settings(0, Path.of(args[1])))) {
                    CohortflowTopics.ensure(kafka.bootstrapServers(), TopicNames.DEFAULT, 2);
                    announce(kafka.bootstrapServers());
                }
            }
            case "job" -> {
                Map<String, String> s = new HashMap<>();
                s.put(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(), args[1]);
                s.put(JobConfig.CHECKPOINT_DIR.key(), Path.of(args[2]).toUri().toString());
                s.put(JobConfig.PARALLELISM.key(), "2");
                s.putAll(forwarded());
                JobConfig c = JobConfig.from(s);
                Configuration conf = CohortflowJob.flinkConfiguration(c);
                // Flink options to try (-Dflink.execution.checkpointing.unaligned.enabled=true).
                for (String name : System.getProperties().stringPropertyNames()) {
                    if (name.startsWith("flink.")) {
                        conf.setString(name.substring("flink.".length()), System.getProperty(name));
                    }
                }
                conf.setString("rest.bind-address", "127.0.0.1");
                conf.setString("rest.bind-port", args[3]);
                // Every checkpoint of a rate stays in the statistics the parent reads.
                conf.setString(
                        "web.checkpoints.history", Integer.toString(CheckpointPauses.HISTORY));
                StreamExecutionEnvironment env =
                        StreamExecutionEnvironment.getExecutionEnvironment(conf);
                CohortflowJob.onKafka(c).build(env);
                var client = env.executeAsync("cohortflow");
                announce(client.getJobID().toString());
                client.cancel().get(30, TimeUnit.SECONDS);
            }
            case "service" -> {
                Map<String, String> p = new HashMap<>();
                p.put(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(), args[1]);
                p.put(ServiceConfig.PORT.key(), "0");
                p.put(ServiceConfig.HOST.key(), "127.0.0.1");
                p.put("cohortflow.api-keys.bench.key", "bench-key");
                p.put("cohortflow.api-keys.bench.org", "bench");
                p.put("cohortflow.api-keys.bench.role", "admin");
                p.put("cohortflow.segmentation.workspace.bench.requests-per-second", "1000000");
                p.put("cohortflow.segmentation.workspace.bench.max-in-flight", "1000");
                p.putAll(forwarded());
                // Wired as the service's own entry point wires it.
                try (CohortflowServer service =
                        CohortflowServer.start(
                                io.cohortflow.core.config.Settings.of(p, Map.of()))) {
                    announce(Integer.toString(service.port()));
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** The settings the parent forwarded as system properties (see {@link #spawn}). */
    private static Map<String, String> forwarded() {
        return LatencyBenchmark.commandLineSettings();
    }

    /** Says the child is ready, then waits for its standard input to close. */
    private static void announce(String address) throws IOException {
        System.out.println("READY " + address);
        System.out.flush();
        while (System.in.read() >= 0) {
            // the parent never writes: read returns -1 when it closes the pipe
        }
    }
}
