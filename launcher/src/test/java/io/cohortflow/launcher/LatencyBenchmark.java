package io.cohortflow.launcher;

import io.cohortflow.job.JobConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Open-loop latency of {@code POST /ccs/v1/segmentation} through the whole embedded stack (broker,
 * job on RocksDB, service) on loopback: requests leave at a fixed rate whatever the answers do, and
 * latency counts from each request's scheduled instant, so queueing is not hidden. Each request
 * carries 1 to 10 events of one of 10 000 users; three segments are live.
 *
 * <p>Args: rates (default {@code 200,500,1000}) and seconds per rate (default 10, at most 60).
 * Prints p50 / p99 / p99.9 / max in milliseconds, the error count (429s apart), and the CPU time
 * the process spent per request (broker, job, service and this load generator share the JVM; the
 * machine's cores bound what it can do: {@code cpu %} is of all of them) per rate. The benchmark's
 * workspace has limits of its own: no rate limit, and 1 000 requests in flight, beyond which the
 * service answers 429 at once. The generator ({@link OpenLoop}) sends over {@link #CONNECTIONS}
 * keep-alive connections; a request due while {@link OpenLoop#MAX_QUEUED} wait for one is not sent,
 * and counted as {@code unsent}. Before the measured rates the stack is warmed up at 500/s (see
 * {@link #warmUp}) until its JIT compilers have settled; each rate prints the compilers' share too.
 */
public final class LatencyBenchmark {
    /** Keep-alive connections of the load generator: the most requests in flight at once. */
    static final int CONNECTIONS = Integer.getInteger("connections", 64);

    /**
     * The shortest warm-up before the measured rates (not measured; at 5 s the JIT compilers were
     * still a sixth of the machine 40 s later).
     */
    static final int WARM_UP_SECONDS = Integer.getInteger("warmup", 90);

    /**
     * A warm-up goes on, round after round, until the JIT compilers of every part used less than
     * this many cores over a round: after 90 s at 500/s they still took a quarter of this 2-core
     * machine through the next rate (p99 177-286 ms against 62 after 300 s, 2026-12-05), so a fixed
     * warm-up measured the compilers as much as the stack.
     */
    static final double WARM_UP_JIT_CORES =
            Double.parseDouble(System.getProperty("warmup.jit-cores", "0.1"));

    /** The longest warm-up, whatever the compilers do (the benchmark stays bounded in time). */
    static final int WARM_UP_MAX_SECONDS = Integer.getInteger("warmup.max", 600);

    /**
     * Each measured rate is first run unmeasured for at least this long, and until its compilers
     * settle (at most a minute): a higher rate takes paths a lower one did not (full network
     * buffers, larger fetches), and the switch from 500/s to 1 000/s set off about a thousand
     * compilations in the job in the next 10 s, inside the measured window.
     */
    static final int SETTLE_SECONDS = Integer.getInteger("settle", 10);

    static final int WARM_UP_RATE = 500;

    public static void main(String[] args) throws Exception {
        int[] rates =
                Arrays.stream((args.length > 0 ? args[0] : "200,500,1000").split(","))
                        .mapToInt(Integer::parseInt)
                        .toArray();
        int seconds = Math.min(60, args.length > 1 ? Integer.parseInt(args[1]) : 10);
        Path data = Files.createTempDirectory("cohortflow-bench");
        Map<String, String> props =
                Map.ofEntries(
                        Map.entry(
                                "cohortflow.segmentation.workspace.bench.requests-per-second",
                                "1000000"),
                        Map.entry("cohortflow.segmentation.workspace.bench.max-in-flight", "1000"),
                        Map.entry(LauncherConfig.DATA_DIR.key(), data.toString()),
                        Map.entry(LauncherConfig.KAFKA_PORT.key(), "0"),
                        Map.entry("cohortflow.service.port", "0"),
                        Map.entry("cohortflow.api-keys.bench.key", "bench-key"),
                        Map.entry("cohortflow.api-keys.bench.org", "bench"),
                        Map.entry("cohortflow.api-keys.bench.role", "admin"),
                        // Every checkpoint of a rate stays in the statistics read after it.
                        Map.entry(
                                LauncherConfig.FLINK_PREFIX + "web.checkpoints.history",
                                Integer.toString(CheckpointPauses.HISTORY)));
        // Settings on the command line (-Dcohortflow.job.checkpoint-interval=10s) over these.
        Map<String, String> settings = new java.util.HashMap<>(props);
        settings.putAll(commandLineSettings());
        // Flink options to try, as the separate job takes them
        // (-Dflink.state.changelog.enabled=true).
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(LauncherConfig.FLINK_PREFIX)) {
                settings.put(name, System.getProperty(name));
            }
        }
        Path stateDir = stateLocalDir();
        if (stateDir != null) {
            settings.put(JobConfig.STATE_LOCAL_DIR.key(), stateDir.toString());
        }
        try (CohortflowStack stack =
                CohortflowStack.start(LauncherConfig.from(settings, Map.of()))) {
            String base = "http://127.0.0.1:" + stack.httpPort();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            long self = ProcessHandle.current().pid();
            List<String> users = prepare(http, base, List.of(self));
            System.out.printf(
                    "%n%s %11s %6s %9s  %s  %s%n",
                    HEADER,
                    "cpu ms/req",
                    "cpu %",
                    "JIT cores",
                    "service-side p50 / p99 / p99.9 ms",
                    SeparateProcessesLatencyBenchmark.CHECKPOINTS_HEADER);
            var os =
                    (com.sun.management.OperatingSystemMXBean)
                            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            int cores = Runtime.getRuntime().availableProcessors();
            Map<Integer, Result> results = new java.util.LinkedHashMap<>();
            for (int rate : rates) {
                settle(base, users, List.of(self), rate);
                var served = ServiceSideLatency.scrape(http, base);
                long cpu0 = os.getProcessCpuTime();
                Map<String, Long> jit0 = ProcessCpu.compilerNanos(List.of(self));
                long wall0 = System.nanoTime();
                long started = System.currentTimeMillis();
                Result r = run(base, users, rate, seconds);
                double cpu = os.getProcessCpuTime() - cpu0;
                double wall = System.nanoTime() - wall0;
                double jit = ProcessCpu.spent(jit0, ProcessCpu.compilerNanos(List.of(self)));
                System.out.printf(
                        "%s %11.2f %6.0f %9.2f  %s  %s%n",
                        r.row(rate),
                        cpu / r.sent / 1e6,
                        100 * cpu / wall / cores,
                        jit / wall,
                        ServiceSideLatency.row(served, ServiceSideLatency.scrape(http, base)),
                        CheckpointPauses.read(
                                        http,
                                        stack.flinkUiUrl(),
                                        started,
                                        System.currentTimeMillis())
                                .row(r));
                results.put(rate, r);
            }
            System.out.println(summary(results));
        } finally {
            deleteTree(stateDir);
            deleteTree(data);
        }
    }

    /**
     * The {@code -Dcohortflow.*} settings of this JVM's command line (a checkpoint interval, a
     * working directory), which both benchmarks put over their own.
     */
    static Map<String, String> commandLineSettings() {
        Map<String, String> out = new java.util.HashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("cohortflow.")) {
                out.put(name, System.getProperty(name));
            }
        }
        return out;
    }

    /**
     * RocksDB's working directory for a run, as the deployments set it (docs/operations.md,
     * "RocksDB's working directory"): a new directory on the machine's tmpfs ({@code /dev/shm}), so
     * that a checkpoint's pause does not wait on the disk's sync; null (the settings decide) when
     * {@code -Dcohortflow.job.state-local-dir} is given (empty: the temporary directories, on disk)
     * or the machine has no {@code /dev/shm}.
     */
    @Nullable
    static Path stateLocalDir() throws IOException {
        Path shm = Path.of("/dev/shm");
        Path dir =
                System.getProperty(JobConfig.STATE_LOCAL_DIR.key()) == null
                                && Files.isDirectory(shm)
                                && Files.isWritable(shm)
                        ? Files.createTempDirectory(shm, "cohortflow-bench-rocksdb")
                        : null;
        System.out.println(
                "RocksDB working directory: "
                        + (dir != null
                                ? dir + " (tmpfs)"
                                : System.getProperty(JobConfig.STATE_LOCAL_DIR.key(), "")
                                        + " (as set)"));
        return dir;
    }

    /**
     * Removes a directory the benchmark made, with what is left in it (the end-to-end tests' rule:
     * files a stopped job discards meanwhile are skipped).
     */
    /** A port free on loopback now (for a child's listener, named before it starts). */
    static int freePort() {
        return io.cohortflow.kafka.FreePorts.next();
    }

    static void deleteTree(@Nullable Path dir) throws Exception {
        if (dir != null) {
            OneUserEndToEndTest.delete(dir);
        }
    }

    /**
     * Of the rates run: the highest whose p99 stayed under 50 ms and 20 ms, and the lowest at which
     * the stack fell behind (requests left unsent, errors, or a median over a second).
     */
    static String summary(Map<Integer, Result> results) {
        int under50 = 0;
        int under20 = 0;
        Integer saturated = null;
        for (Map.Entry<Integer, Result> e : results.entrySet()) {
            Result r = e.getValue();
            boolean behind = r.unsent() > 0 || r.errors() > 0 || r.p(0.50) > 1_000;
            if (behind && (saturated == null || e.getKey() < saturated)) {
                saturated = e.getKey();
            }
            if (!behind && r.p(0.99) < 50) {
                under50 = Math.max(under50, e.getKey());
            }
            if (!behind && r.p(0.99) < 20) {
                under20 = Math.max(under20, e.getKey());
            }
        }
        return String.format(
                "SUMMARY highest rate with p99 < 50 ms: %s; with p99 < 20 ms: %s; saturated at: %s",
                under50 == 0 ? "none of those run" : under50 + "/s",
                under20 == 0 ? "none of those run" : under20 + "/s",
                saturated == null ? "none of those run" : saturated + "/s");
    }

    /** The columns every shape prints first (see {@link Result#row}). */
    static final String HEADER =
            String.format(
                    "%-8s %8s %8s %8s %8s %8s %8s %8s %8s",
                    "rate/s",
                    "sent",
                    "unsent",
                    "p50 ms",
                    "p99 ms",
                    "p99.9 ms",
                    "max ms",
                    "errors",
                    "429s");

    /**
     * Creates the segments, makes 10 000 user ids and warms up the stack whose processes are {@code
     * pids} (see {@link #warmUp}); returns the users.
     */
    static List<String> prepare(HttpClient http, String base, List<Long> pids) throws Exception {
        createSegments(http, base);
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            users.add(UUID.randomUUID().toString());
        }
        warmUp(base, users, pids);
        return users;
    }

    /**
     * Sends {@link #WARM_UP_RATE} requests a second (not measured: JIT, connections, the job's
     * first checkpoints) in rounds of 30 s: at least {@link #WARM_UP_SECONDS}, then until the
     * compilers settle, at most {@link #WARM_UP_MAX_SECONDS}.
     */
    static void warmUp(String base, List<String> users, List<Long> pids) throws Exception {
        warmUp(base, users, pids, WARM_UP_RATE, WARM_UP_SECONDS, WARM_UP_MAX_SECONDS, 30);
    }

    /**
     * Runs {@code rate} unmeasured before it is measured, in rounds of 10 s: at least {@link
     * #SETTLE_SECONDS}, then until the compilers settle, at most a minute.
     */
    static void settle(String base, List<String> users, List<Long> pids, int rate)
            throws Exception {
        if (SETTLE_SECONDS > 0) {
            warmUp(base, users, pids, rate, SETTLE_SECONDS, Math.max(60, SETTLE_SECONDS), 10);
        }
    }

    /**
     * Sends {@code rate} requests a second in rounds of {@code round} seconds, for at least {@code
     * min} and at most {@code max} seconds, stopping after the first round past {@code min} in
     * which the JIT compilers of every one of {@code pids} used less than {@link
     * #WARM_UP_JIT_CORES} cores; prints each round.
     */
    private static void warmUp(
            String base, List<String> users, List<Long> pids, int rate, int min, int max, int round)
            throws Exception {
        int done = 0;
        while (true) {
            int seconds = Math.min(round, max - done);
            Map<String, Long> jit0 = ProcessCpu.compilerNanos(pids);
            long wall0 = System.nanoTime();
            run(base, users, rate, seconds);
            double cores =
                    (double) ProcessCpu.spent(jit0, ProcessCpu.compilerNanos(pids))
                            / (System.nanoTime() - wall0);
            done += seconds;
            System.out.printf(
                    "WARM-UP (not a figure) %d s at %d/s: the JIT compilers used %.2f cores over"
                            + " the last %d s%n",
                    done, rate, cores, seconds);
            if (done >= max || (done >= min && cores < WARM_UP_JIT_CORES)) {
                return;
            }
        }
    }

    /** The three segments every run evaluates, created through the Segments API. */
    static void createSegments(HttpClient http, String base) throws Exception {
        for (String[] seg :
                new String[][] {
                    {
                        "sport",
                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"sport\"}"
                    },
                    {
                        "news",
                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"news\"}"
                    },
                    {
                        "heavy",
                        "{\"func\":\"ge\",\"val\":{\"func\":\"total\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/Pageview\"}},\"num\":5}"
                    }
                }) {
            String def =
                    "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"visitors\",\"pred\":"
                            + seg[1]
                            + "}}";
            HttpResponse<String> r =
                    http.send(
                            HttpRequest.newBuilder(URI.create(base + "/segments"))
                                    .header("x-api-key", "bench-key")
                                    .header("Authorization", "Bearer bench-key")
                                    .header("x-gw-ims-org-id", "bench")
                                    .header("Content-Type", "application/json")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"name\":\""
                                                            + seg[0]
                                                            + "\",\"rsid\":\"default\",\"definition\":"
                                                            + def
                                                            + ",\"activations\":{\"gam\":true}}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("segment not created: " + r.body());
            }
        }
    }

    /**
     * {@code errors}: every answer but 200 (timeouts included); {@code refused}: the 429s; {@code
     * scheduledMillis} and {@code latencyNanos}: each answered request's scheduled instant (epoch
     * ms) and latency, in schedule order.
     */
    record Result(
            int sent,
            int unsent,
            int errors,
            int refused,
            long[] scheduledMillis,
            long[] latencyNanos) {
        /** The {@link #HEADER} columns for this result at {@code rate}. */
        String row(int rate) {
            return String.format(
                    "%-8d %8d %8d %8.1f %8.1f %8.1f %8.1f %8d %8d",
                    rate, sent, unsent, p(0.50), p(0.99), p(0.999), p(1.0), errors, refused);
        }

        /** The nearest-rank quantile {@code q} of the answered requests' latencies, in ms. */
        double p(double q) {
            if (latencyNanos.length == 0) {
                return Double.NaN;
            }
            long[] sorted = latencyNanos.clone();
            Arrays.sort(sorted);
            int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
            return sorted[Math.max(0, i)] / 1e6;
        }
    }

    /**
     * Sends {@code rate * seconds} requests open-loop (see {@link OpenLoop}), each 1 to 10 events
     * of a random one of {@code users}.
     */
    static Result run(String base, List<String> users, int rate, int seconds)
            throws InterruptedException {
        URI uri = URI.create(base);
        SplittableRandom random = new SplittableRandom(rate);
        return new OpenLoop(
                        new InetSocketAddress(uri.getHost(), uri.getPort()),
                        "/ccs/v1/segmentation?k=bench-key&activations=true",
                        CONNECTIONS)
                .run(
                        rate,
                        seconds,
                        i ->
                                body(
                                        users.get(random.nextInt(users.size())),
                                        1 + random.nextInt(10),
                                        random));
    }

    static String body(String user, int events, SplittableRandom random) {
        StringBuilder b =
                new StringBuilder("{\"user_id\":\"").append(user).append("\",\"events\":[");
        String now = Instant.now().toString();
        String[] sections = {"sport", "news", "finance", "tech"};
        for (int i = 0; i < events; i++) {
            b.append(i == 0 ? "" : ",")
                    .append("{\"name\":\"Pageview\",\"time\":\"")
                    .append(now)
                    .append("\",\"properties\":{\"section\":\"")
                    .append(sections[random.nextInt(sections.length)])
                    .append("\"}}");
        }
        return b.append("]}").toString();
    }
}
