package io.cohortflow.rehearsal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The soak (docs/operations.md, "Soak"): the rehearsal cluster under steady load for a chosen
 * duration while definitions are edited, printing once a minute the throughput, the latest
 * checkpoint's duration and size, each process's memory and the synchronous API's errors, and at
 * the end each figure's growth per hour (least squares over the minutes; the goal is flat). Not run
 * by the build: it starts only with {@code -Dsoak.duration} (at most a day), through {@code
 * cluster-rehearsal/soak.sh}. It fails if the job restarted, a checkpoint failed, a synchronous
 * request failed, or the job had not read every event at the end.
 *
 * <p>Settings ({@code -Dsoak.*}): {@code duration} (ISO 8601, e.g. PT1H), {@code rate} (events a
 * second on the events topic, default 500), {@code users} (the population they are drawn from,
 * default 20 000), {@code requests} (synchronous requests a second, default 10), {@code edit-every}
 * (a definition edited, default PT2M), {@code warmup} (load before the measured duration, not
 * counted: the freshly started JVMs compile and the first checkpoints settle; default PT1M).
 */
class RehearsalSoakIT {
    private static final String DEAD_LETTERS = ClusterReadings.JOB_METRICS + "reason_dead_letters";
    private static final String[] SECTIONS = {"sport", "news", "finance", "tech", "travel"};

    @Test
    void steady_load_with_definitions_edited_keeps_memory_state_and_checkpoints_flat()
            throws Exception {
        String asked = System.getProperty("soak.duration", "");
        Assumptions.assumeFalse(asked.isBlank(), "a soak runs only with -Dsoak.duration");
        Duration duration = Duration.parse(asked);
        if (duration.compareTo(Duration.ofDays(1)) > 0 || duration.isNegative()) {
            throw new IllegalArgumentException("soak.duration: at most PT24H, got " + asked);
        }
        int rate = Integer.getInteger("soak.rate", 500);
        int users = Integer.getInteger("soak.users", 20_000);
        int requests = Integer.getInteger("soak.requests", 10);
        Duration editEvery = Duration.parse(System.getProperty("soak.edit-every", "PT2M"));
        Duration warmup = Duration.parse(System.getProperty("soak.warmup", "PT1M"));

        try (RehearsalCluster cluster =
                new RehearsalCluster(Path.of(System.getProperty("cohortflow.workDir")))) {
            cluster.start();
            RehearsalService service = new RehearsalService(cluster);
            List<String> segments = createSegments(service);
            String job = cluster.runningJob();
            System.out.printf(
                    "SOAK %s at %d events/s over %d users, %d requests/s, a definition edited"
                            + " every %s; job %s%n",
                    duration, rate, users, requests, editEvery, job);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong produced = new AtomicLong();
            Map<Integer, Long> requestErrors = new java.util.concurrent.ConcurrentHashMap<>();
            List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread load = thread("soak-events", () -> events(cluster, rate, users, stop, produced));
            Thread sync =
                    thread(
                            "soak-requests",
                            () ->
                                    requests(
                                            service,
                                            requests,
                                            users,
                                            stop,
                                            latencies,
                                            requestErrors));

            Thread.sleep(warmup.toMillis());
            drain(latencies);
            requestErrors.clear();
            // Checkpoints triggered while the tasks were still being deployed count as failed.
            long failedBefore =
                    ClusterReadings.checkpoints(cluster, job)
                            .path("counts")
                            .path("failed")
                            .asLong();

            // hours, heap MB, state MB, checkpoint ms, resident MB, then each part's resident MB
            List<double[]> minutes = new ArrayList<>();
            List<String> parts = new ArrayList<>(cluster.pids().keySet());
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long nextEdit = start + editEvery.toNanos();
            long lastRead = ClusterReadings.readRecords(cluster, job);
            long lastProduced = produced.get();
            long lastReport = start;
            double heapMin = Double.MAX_VALUE;
            double deadLetters = 0;
            int edits = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(10_000);
                heapMin = Math.min(heapMin, ClusterReadings.taskManagerHeapMb(cluster));
                long now = System.nanoTime();
                if (now >= nextEdit) {
                    edit(service, segments.get(edits % segments.size()), edits);
                    edits++;
                    nextEdit += editEvery.toNanos();
                }
                if (now - lastReport >= TimeUnit.MINUTES.toNanos(1) || now >= end) {
                    double seconds = (now - lastReport) / 1e9;
                    long read = ClusterReadings.readRecords(cluster, job);
                    long made = produced.get();
                    JsonNode ckpt =
                            ClusterReadings.checkpoints(cluster, job)
                                    .path("latest")
                                    .path("completed");
                    java.util.Map<String, Double> resident = ClusterReadings.rssMb(cluster);
                    double rss = resident.values().stream().mapToDouble(d -> d).sum();
                    long[] lat = drain(latencies);
                    double hours = (now - start) / 3.6e12;
                    double[] row = new double[5 + parts.size()];
                    row[0] = hours;
                    row[1] = heapMin;
                    row[2] = ckpt.path("state_size").asLong() / 1e6;
                    row[3] = ckpt.path("end_to_end_duration").asDouble();
                    row[4] = rss;
                    for (int i = 0; i < parts.size(); i++) {
                        row[5 + i] = resident.getOrDefault(parts.get(i), 0.0);
                    }
                    minutes.add(row);
                    // The job's own count of refused records, from Flink's Prometheus reporter.
                    deadLetters =
                            ClusterReadings.prometheus(cluster, "taskmanager-1", "taskmanager-2")
                                    .getOrDefault(DEAD_LETTERS, 0.0);
                    System.out.printf(
                            "SOAK %6.1f min: events/s offered %.0f, read by the job %.0f;"
                                    + " checkpoint %d ms, %.1f MB added, %.1f MB whole;"
                                    + " TaskManager heap %.0f MB (lowest), processes %.0f MB"
                                    + " resident; requests p99 %d ms, errors by status %s; %d"
                                    + " edits; %.0f dead letters%n",
                            hours * 60,
                            (made - lastProduced) / seconds,
                            (read - lastRead) / seconds,
                            ckpt.path("end_to_end_duration").asLong(),
                            ckpt.path("checkpointed_size").asLong() / 1e6,
                            ckpt.path("state_size").asLong() / 1e6,
                            heapMin,
                            rss,
                            lat.length == 0 ? 0 : lat[(int) (lat.length * 0.99)],
                            requestErrors,
                            edits,
                            deadLetters);
                    lastRead = read;
                    lastProduced = made;
                    lastReport = now;
                    heapMin = Double.MAX_VALUE;
                }
            }
            stop.set(true);
            load.join();
            sync.join();

            System.out.printf(
                    "SOAK growth per hour: TaskManager heap %+.1f MB, state %+.1f MB,"
                            + " checkpoint duration %+.0f ms, resident memory %+.1f MB%n",
                    slope(minutes, 1), slope(minutes, 2), slope(minutes, 3), slope(minutes, 4));
            StringBuilder byPart = new StringBuilder("SOAK resident memory growth per hour:");
            for (int i = 0; i < parts.size(); i++) {
                byPart.append(String.format(" %s %+.1f MB,", parts.get(i), slope(minutes, 5 + i)));
            }
            System.out.println(byPart.substring(0, byPart.length() - 1));

            long total = produced.get();
            Awaitility.await("the job reads every event produced")
                    .atMost(Duration.ofMinutes(5))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> ClusterReadings.readRecords(cluster, job) >= total);
            JsonNode counts = ClusterReadings.checkpoints(cluster, job).path("counts");
            assertThat(counts.path("failed").asLong() - failedBefore)
                    .as("checkpoints failed during the soak")
                    .isZero();
            assertThat(ClusterReadings.restarts(cluster, job)).as("job restarts").isZero();
            assertThat(requestErrors).as("synchronous requests that failed, by status").isEmpty();
            assertThat(deadLetters).as("events the job refused (all were valid)").isZero();
        }
    }

    private static Thread thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** A user of the population, as a UUID (the synchronous API takes them as user ids). */
    private static String user(int i) {
        return new UUID(0x50A4L, i).toString();
    }

    /** Events at {@code rate} a second on the events topic until {@code stop}. */
    private static void events(
            RehearsalCluster cluster, int rate, int users, AtomicBoolean stop, AtomicLong sent) {
        SplittableRandom random = new SplittableRandom(1);
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        try (KafkaProducer<String, String> p =
                new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                cluster.bootstrap(),
                                ProducerConfig.ACKS_CONFIG,
                                "all",
                                ProducerConfig.LINGER_MS_CONFIG,
                                "5"),
                        new StringSerializer(),
                        new StringSerializer())) {
            long next = System.nanoTime();
            while (!stop.get()) {
                String u = user(random.nextInt(users));
                p.send(
                        RehearsalCluster.pageViewRecord(
                                u, SECTIONS[random.nextInt(SECTIONS.length)]),
                        (m, e) -> {
                            if (e == null) {
                                sent.incrementAndGet();
                            }
                        });
                next += interval;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            p.flush();
        }
    }

    /** Synchronous requests at {@code rate} a second, one at a time, until {@code stop}. */
    private static void requests(
            RehearsalService service,
            int rate,
            int users,
            AtomicBoolean stop,
            List<Long> latencies,
            Map<Integer, Long> errors) {
        if (rate <= 0) {
            return;
        }
        SplittableRandom random = new SplittableRandom(2);
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        while (!stop.get()) {
            String body = RehearsalService.pageview(user(random.nextInt(users)), "sport");
            long t0 = System.nanoTime();
            try {
                HttpResponse<String> r = RehearsalService.send(service.segmentation(body, null));
                if (r.statusCode() != 200) {
                    errors.merge(r.statusCode(), 1L, Long::sum);
                }
            } catch (Exception e) {
                errors.merge(0, 1L, Long::sum); // no answer at all
            }
            latencies.add((System.nanoTime() - t0) / 1_000_000);
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }

    private static long[] drain(List<Long> latencies) {
        synchronized (latencies) {
            long[] out = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            latencies.clear();
            return out;
        }
    }

    /**
     * Ten segments of the kinds users write: a section equality each (five) and page-view counts
     * with thresholds (five); the soak's edits move the thresholds.
     */
    private static List<String> createSegments(RehearsalService service) throws Exception {
        List<String> ids = new ArrayList<>();
        for (String section : SECTIONS) {
            ids.add(
                    service.createSegment(
                            "Soak " + section,
                            "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\""
                                    + section
                                    + "\"}"));
        }
        for (int k = 2; k <= 10; k += 2) {
            ids.add(service.createSegment("Soak " + k + " page views", countAtLeast(k)));
        }
        ids.forEach(service::awaitApplied);
        return ids;
    }

    private static String countAtLeast(int k) {
        return "{\"func\":\"ge\",\"val\":{\"func\":\"total\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/Pageview\"}},\"num\":"
                + k
                + "}";
    }

    /** The {@code n}th edit: a page-view count with a threshold that changes with {@code n}. */
    private static void edit(RehearsalService service, String id, int n) throws Exception {
        HttpResponse<String> r =
                RehearsalService.send(
                        service.adobe("/segments/" + id)
                                .PUT(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"definition\":"
                                                        + RehearsalService.definition(
                                                                countAtLeast(2 + n % 9))
                                                        + "}")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** The least-squares slope of column {@code y} against hours (column 0): growth per hour. */
    static double slope(List<double[]> rows, int y) {
        int n = rows.size();
        if (n < 2) {
            return 0;
        }
        double mx = 0;
        double my = 0;
        for (double[] r : rows) {
            mx += r[0] / n;
            my += r[y] / n;
        }
        double num = 0;
        double den = 0;
        for (double[] r : rows) {
            num += (r[0] - mx) * (r[y] - my);
            den += (r[0] - mx) * (r[0] - mx);
        }
        return den == 0 ? 0 : num / den;
    }
}
