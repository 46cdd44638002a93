package io.cohortflow.launcher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

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
 * service answers 429 at once. The generator itself keeps at most {@link #MAX_IN_FLIGHT} requests
 * open (each holds a connection, two file descriptors in this one process: unbounded, an overloaded
 * stack ran the broker out of them); a request due while it is at that bound is not sent, and
 * counted as {@code unsent}.
 */
public final class LatencyBenchmark {
    static final int MAX_IN_FLIGHT = 1_500;

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
                        Map.entry("cohortflow.api-keys.bench.role", "admin"));
        try (CohortflowStack stack = CohortflowStack.start(LauncherConfig.from(props, Map.of()))) {
            String base = "http://127.0.0.1:" + stack.httpPort();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<String> users = prepare(http, base);
            System.out.printf("%n%s %11s %6s%n", HEADER, "cpu ms/req", "cpu %");
            var os =
                    (com.sun.management.OperatingSystemMXBean)
                            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            int cores = Runtime.getRuntime().availableProcessors();
            for (int rate : rates) {
                long cpu0 = os.getProcessCpuTime();
                long wall0 = System.nanoTime();
                Result r = run(http, base, users, rate, seconds);
                double cpu = os.getProcessCpuTime() - cpu0;
                double wall = System.nanoTime() - wall0;
                System.out.printf(
                        "%s %11.2f %6.0f%n",
                        r.row(rate), cpu / r.sent / 1e6, 100 * cpu / wall / cores);
            }
        }
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
     * Creates the segments, makes 10 000 user ids and warms the stack up for 5 s at 200/s (JIT,
     * connections, the job's first checkpoint; not measured); returns the users.
     */
    static List<String> prepare(HttpClient http, String base) throws Exception {
        createSegments(http, base);
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            users.add(UUID.randomUUID().toString());
        }
        run(http, base, users, 200, 5);
        return users;
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

    /** {@code errors}: every answer but 200 (timeouts included); {@code refused}: the 429s. */
    record Result(int sent, int unsent, long[] nanos, int errors, int refused) {
        /** The {@link #HEADER} columns for this result at {@code rate}. */
        String row(int rate) {
            return String.format(
                    "%-8d %8d %8d %8.1f %8.1f %8.1f %8.1f %8d %8d",
                    rate, sent, unsent, p(0.50), p(0.99), p(0.999), p(1.0), errors, refused);
        }

        double p(double q) {
            if (nanos.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(nanos.length - 1, Math.ceil(q * nanos.length) - 1);
            return nanos[Math.max(0, i)] / 1e6;
        }
    }

    static Result run(HttpClient http, String base, List<String> users, int rate, int seconds)
            throws Exception {
        int total = rate * seconds;
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        SplittableRandom random = new SplittableRandom(rate);
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(MAX_IN_FLIGHT);
        int unsent = 0;
        List<CompletableFuture<?>> inFlight = new ArrayList<>(total);
        URI uri = URI.create(base + "/ccs/v1/segmentation?k=bench-key&activations=true");
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long scheduled = start + i * interval;
            long wait = scheduled - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            String body =
                    body(users.get(random.nextInt(users.size())), 1 + random.nextInt(10), random);
            if (!slots.tryAcquire()) {
                unsent++;
                continue;
            }
            inFlight.add(
                    http.sendAsync(
                                    HttpRequest.newBuilder(uri)
                                            .header("Content-Type", "application/json")
                                            .timeout(Duration.ofSeconds(30))
                                            .POST(HttpRequest.BodyPublishers.ofString(body))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .handle(
                                    (r, e) -> {
                                        slots.release();
                                        latencies.add(System.nanoTime() - scheduled);
                                        if (e != null || r.statusCode() != 200) {
                                            errors.incrementAndGet();
                                        }
                                        if (e == null && r.statusCode() == 429) {
                                            refused.incrementAndGet();
                                        }
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
                .get(60, TimeUnit.SECONDS);
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(total - unsent, unsent, sorted, errors.get(), refused.get());
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
