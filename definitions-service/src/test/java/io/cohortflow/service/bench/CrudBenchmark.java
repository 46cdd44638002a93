package io.cohortflow.service.bench;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.service.DefinitionsService;
import io.cohortflow.service.api.Defs;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.config.ServiceConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * CRUD latency at fixed request rates against the embedded broker. Open loop: requests are sent on
 * a fixed schedule whatever the answers, and latency counts from the scheduled instant, so a slow
 * answer cannot hide the queueing behind it (no coordinated omission).
 *
 * <p>Run: {@code mvn -pl definitions-service test-compile exec:java -Dexec.args="20,50,100,200 15"}
 * (rates in requests a second, seconds per rate). The mix per tick cycles POST, GET, PUT, GET list,
 * DELETE.
 */
public final class CrudBenchmark {
    private static final String[] OPS = {"POST", "GET", "PUT", "LIST", "DELETE"};

    public static void main(String[] args) throws Exception {
        int[] rates =
                Arrays.stream((args.length > 0 ? args[0] : "20,50,100,200").split(","))
                        .mapToInt(Integer::parseInt)
                        .toArray();
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            CohortflowTopics.ensure(kafka.bootstrapServers(), TopicNames.DEFAULT, 2);
            ServiceConfig config =
                    ServiceConfig.defaults()
                            .withBootstrap(kafka.bootstrapServers())
                            .withPort(0)
                            .withLimits(1_000_000, 10_000)
                            .withApiKeys(
                                    List.of(
                                            new ApiKeys.Entry(
                                                    "bench",
                                                    ApiKeys.hash("bench-key"),
                                                    null,
                                                    "bench",
                                                    1,
                                                    "Bench",
                                                    "bench@x",
                                                    Role.ADMIN)));
            try (DefinitionsService service = new DefinitionsService(config).start()) {
                HttpClient client =
                        HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
                String base = "http://127.0.0.1:" + service.port();
                run(client, base, 20, 5, false); // warm-up: JIT, connections, producer metadata
                System.out.printf(
                        "%nCRUD latency, open loop, %d s per rate, %d cores, embedded KRaft broker%n",
                        seconds, Runtime.getRuntime().availableProcessors());
                System.out.printf(
                        "%-8s %-7s %7s %9s %9s %9s %7s%n",
                        "rate/s", "op", "count", "p50 ms", "p99 ms", "max ms", "errors");
                for (int rate : rates) {
                    run(client, base, rate, seconds, true);
                }
            }
        }
        System.exit(0);
    }

    private static void run(HttpClient client, String base, int rate, int seconds, boolean print)
            throws Exception {
        Map<String, ConcurrentLinkedQueue<Long>> lat = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
        for (String op : OPS) {
            lat.put(op, new ConcurrentLinkedQueue<>());
            errors.put(op, new AtomicInteger());
        }
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        int total = rate * seconds;
        CountDownLatch done = new CountDownLatch(total);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        long periodNanos = 1_000_000_000L / rate;
        long start = System.nanoTime();
        String body = Json.MAPPER.writeValueAsString(Defs.body("bench", Defs.mobile()));
        for (int i = 0; i < total; i++) {
            long scheduled = start + i * periodNanos;
            String op = OPS[i % OPS.length];
            ticker.schedule(
                    () -> {
                        HttpRequest req = request(base, op, ids, body);
                        if (req == null) {
                            done.countDown();
                            return;
                        }
                        client.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                                .whenComplete(
                                        (r, e) -> {
                                            long tookMicros =
                                                    (System.nanoTime() - scheduled) / 1000;
                                            lat.get(op).add(tookMicros);
                                            if (e != null || r.statusCode() != 200) {
                                                errors.get(op).incrementAndGet();
                                            } else if (op.equals("POST")) {
                                                try {
                                                    ids.add(
                                                            Json.MAPPER
                                                                    .readTree(r.body())
                                                                    .get("id")
                                                                    .asText());
                                                } catch (Exception ignored) {
                                                    errors.get(op).incrementAndGet();
                                                }
                                            }
                                            done.countDown();
                                        });
                    },
                    scheduled - System.nanoTime(),
                    TimeUnit.NANOSECONDS);
        }
        done.await(seconds + 60L, TimeUnit.SECONDS);
        ticker.shutdownNow();
        if (!print) {
            return;
        }
        Map<String, String> lines = new TreeMap<>();
        for (String op : OPS) {
            List<Long> l = new ArrayList<>(lat.get(op));
            Collections.sort(l);
            if (l.isEmpty()) {
                continue;
            }
            System.out.printf(
                    "%-8d %-7s %7d %9.2f %9.2f %9.2f %7d%n",
                    rate,
                    op,
                    l.size(),
                    pct(l, 0.50),
                    pct(l, 0.99),
                    l.get(l.size() - 1) / 1000.0,
                    errors.get(op).get());
        }
        lines.clear();
    }

    private static double pct(List<Long> sorted, double p) {
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1000.0;
    }

    private static HttpRequest request(String base, String op, List<String> ids, String body) {
        String id;
        synchronized (ids) {
            id = ids.isEmpty() ? null : ids.get(ids.size() - 1);
            if (op.equals("DELETE") && id != null) {
                ids.remove(ids.size() - 1);
            }
        }
        HttpRequest.Builder b =
                HttpRequest.newBuilder()
                        .timeout(Duration.ofSeconds(30))
                        .header("x-api-key", "bench-key")
                        .header("Authorization", "Bearer bench-key")
                        .header("x-gw-ims-org-id", "bench")
                        .header("Content-Type", "application/json");
        switch (op) {
            case "POST" ->
                    b.uri(URI.create(base + "/segments"))
                            .POST(HttpRequest.BodyPublishers.ofString(body));
            case "LIST" ->
                    b.uri(URI.create(base + "/segments?limit=10&expansion=definition")).GET();
            default -> {
                if (id == null) {
                    return null;
                }
                String u = base + "/segments/" + id;
                if (op.equals("GET")) {
                    b.uri(URI.create(u + "?expansion=definition")).GET();
                } else if (op.equals("PUT")) {
                    b.uri(URI.create(u))
                            .PUT(
                                    HttpRequest.BodyPublishers.ofString(
                                            "{\"name\":\"bench " + System.nanoTime() + "\"}"));
                } else {
                    b.uri(URI.create(u)).DELETE();
                }
            }
        }
        return b.build();
    }
}
