package io.cohortflow.rehearsal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.kafka.KafkaTopics;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole system across processes (see {@link RehearsalCluster}): a segment written to the
 * service reaches the job on the Flink cluster through the three-broker Kafka, a user segmented
 * through the synchronous API is answered by the job, and the membership is committed exactly once
 * for read_committed consumers.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class ClusterRehearsalIT {
    static RehearsalCluster cluster;
    static RehearsalService service;

    @BeforeAll
    static void start() throws Exception {
        // Assigned first: a start that fails halfway is still stopped by stop().
        cluster = new RehearsalCluster(Path.of(System.getProperty("cohortflow.workDir")));
        cluster.start();
        service = new RehearsalService(cluster);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static String sport;

    @Test
    @org.junit.jupiter.api.Order(1)
    void a_segment_and_a_user_go_through_every_process_and_the_membership_is_committed_once()
            throws Exception {
        sport =
                service.createSegment(
                        "Sport",
                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"sport\"}");
        service.awaitApplied(sport);

        String user = UUID.randomUUID().toString();
        HttpResponse<String> answer =
                Awaitility.await("the synchronous API answers")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(
                                () ->
                                        RehearsalService.send(
                                                service.segmentation(
                                                        RehearsalService.pageview(user, "sport"),
                                                        "r-" + user)),
                                r -> r.statusCode() == 200);
        JsonNode cohorts = Json.MAPPER.readTree(answer.body()).get("cohorts");
        assertThat(cohorts.toString()).contains(sport);
        awaitEachEnteredOnce(List.of(user));
        // The job's default state backend took in a real cluster, the job's jar leaving Flink's
        // modules to its lib directory: the state's changes are uploaded beside the checkpoints.
        Path changelog = cluster.checkpoints().resolve("changelog");
        Awaitility.await("the state changelog written under " + changelog)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> regularFiles(changelog) > 0);
    }

    private static long regularFiles(Path dir) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(dir)) {
            return 0;
        }
        try (var files = java.nio.file.Files.walk(dir)) {
            return files.filter(java.nio.file.Files::isRegularFile).count();
        }
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void flinks_prometheus_reporter_serves_the_jobs_metrics_from_the_taskmanagers()
            throws Exception {
        // The first test's user: an event read, a membership entered and a reply sent, by
        // whichever subtask owns the user; the reporters read the counters at each scrape.
        String job = ClusterReadings.JOB_METRICS;
        Awaitility.await("the first test's user in the job's metrics")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(
                        () -> {
                            java.util.Map<String, Double> total =
                                    ClusterReadings.prometheus(
                                            cluster, "taskmanager-1", "taskmanager-2");
                            assertThat(total.get(job + "events")).isGreaterThanOrEqualTo(1);
                            assertThat(total.get(job + "memberships_entered"))
                                    .isGreaterThanOrEqualTo(1);
                            assertThat(total.get(job + "replies")).isGreaterThanOrEqualTo(1);
                        });
        // What a deployment's Prometheus parses: every process's page passes promtool's parser.
        Path promtool = Path.of(System.getProperty("cohortflow.promtool"));
        assertThat(promtool).as("promtool, installed by the build").isExecutable();
        for (String process : List.of("jobmanager", "taskmanager-1", "taskmanager-2")) {
            String page = ClusterReadings.scrape(cluster, process);
            assertThat(page).contains("flink_");
            Process check =
                    new ProcessBuilder(promtool.toString(), "check", "metrics")
                            .redirectErrorStream(true)
                            .start();
            try (var in = check.getOutputStream()) {
                in.write(page.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(check.getInputStream().readAllBytes());
            // Exit 1: the page does not parse. Exit 3: style only (Flink's names keep the
            // camelCase of its metric groups, which promtool's lint flags), still scraped.
            assertThat(check.waitFor()).as(process + ": " + out).isIn(0, 3);
            assertThat(out).as(process).doesNotContain("error while linting");
        }
    }

    /** A crash injected into the running system, and what brings the part back. */
    private interface Fault {
        void crash() throws Exception;

        void recover() throws Exception;
    }

    /**
     * {@code kill -9} of a TaskManager while events stream in: the job restarts from its last
     * checkpoint once the TaskManager is back, and every user's membership change reaches
     * read_committed consumers exactly once.
     */
    @Test
    @org.junit.jupiter.api.Order(3)
    void a_taskmanager_killed_mid_stream_loses_and_duplicates_no_membership() throws Exception {
        streamThrough(
                "taskmanager kill -9",
                new Fault() {
                    @Override
                    public void crash() throws Exception {
                        cluster.kill("taskmanager-1");
                    }

                    @Override
                    public void recover() throws Exception {
                        cluster.startTaskManager(1);
                    }
                });
    }

    /**
     * {@code kill -9} of the broker leading the first memberships partition (the exactly-once
     * sink's transactions) while events stream in; the other two keep every topic writable (min ISR
     * 2) until it is back.
     */
    @Test
    @org.junit.jupiter.api.Order(4)
    void the_broker_leading_the_memberships_killed_mid_stream_loses_and_duplicates_nothing()
            throws Exception {
        int leader = cluster.leader(TopicNames.DEFAULT.memberships(), 0);
        streamThrough(
                "broker " + leader + " (memberships leader) kill -9",
                new Fault() {
                    @Override
                    public void crash() throws Exception {
                        cluster.kill("broker-" + leader);
                    }

                    @Override
                    public void recover() throws Exception {
                        cluster.startBroker(leader);
                    }
                });
    }

    /**
     * {@code kill -9} of the JobManager (no HA here, as in compose: the job dies with it): a new
     * JobManager, and the job submitted again from its latest retained checkpoint, replays the
     * events after it; the exactly-once sink commits nothing twice.
     */
    @Test
    @org.junit.jupiter.api.Order(5)
    void the_jobmanager_killed_and_the_job_resumed_from_its_latest_checkpoint_loses_nothing()
            throws Exception {
        streamThrough(
                "jobmanager kill -9, job resumed from its latest checkpoint",
                new Fault() {
                    @Override
                    public void crash() throws Exception {
                        cluster.kill("jobmanager");
                    }

                    @Override
                    public void recover() throws Exception {
                        cluster.restartJobManagerFrom(cluster.latestCheckpoint());
                    }
                });
    }

    /**
     * {@code kill -9} of the service while clients send segmentation requests, each with an
     * Idempotency-Key; after the restart, clients retry what failed with the same key: every user
     * is counted once (one {@code entered}, the retry answered without applying twice).
     */
    @Test
    @org.junit.jupiter.api.Order(6)
    void a_service_killed_mid_write_and_retried_with_idempotency_keys_counts_each_user_once()
            throws Exception {
        int users = 60;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            ids.add(UUID.randomUUID().toString());
        }
        // Requests in flight from several clients when the service dies.
        java.util.concurrent.ExecutorService clients =
                java.util.concurrent.Executors.newFixedThreadPool(8);
        java.util.Map<String, java.util.concurrent.Future<Integer>> status =
                new java.util.LinkedHashMap<>();
        long crashed = 0;
        try {
            for (int i = 0; i < users; i++) {
                String u = ids.get(i);
                status.put(u, clients.submit(() -> request(u)));
                if (i == users / 2) {
                    cluster.kill("service");
                    crashed = System.nanoTime();
                }
                Thread.sleep(20);
            }
            cluster.startService();
        } finally {
            clients.shutdown();
            clients.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        double back = (System.nanoTime() - crashed) / 1e9;
        // The clients retry what did not get a 200, with the same key.
        long retried = 0;
        for (String u : ids) {
            if (status.get(u).get() != 200) {
                retried++;
                String user = u;
                Awaitility.await("a retry of " + u)
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> request(user) == 200);
            }
        }
        awaitEachEnteredOnce(ids);
        System.out.printf(
                "REHEARSAL service kill -9 mid-write: %d of %d requests retried, every user"
                        + " entered once; the service was ready again %.1f s after the kill%n",
                retried, users, back);
    }

    /**
     * A rescale from 2 to 4 through a savepoint (two more TaskManagers): the users seen before keep
     * their state and memberships (a lookup answers their cohort; nothing is entered twice), and
     * new users are segmented by the four subtasks.
     */
    @Test
    @org.junit.jupiter.api.Order(7)
    void a_rescale_from_2_to_4_through_a_savepoint_keeps_state_and_memberships() throws Exception {
        List<String> before = streamUsers(200, null);
        awaitEachEnteredOnce(before);
        cluster.startTaskManager(3);
        cluster.startTaskManager(4);
        cluster.awaitTaskManagers(4);
        long started = System.nanoTime();
        cluster.rescale(4);
        // A user seen only before the rescale: their state came through the savepoint.
        String probe = before.get(0);
        Awaitility.await("the rescaled job answers from the restored state")
                .atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .untilAsserted(
                        () -> {
                            HttpResponse<String> r =
                                    RehearsalService.send(
                                            service.segmentation(
                                                    "{\"user_id\":\"" + probe + "\"}", null));
                            assertThat(r.statusCode()).isEqualTo(200);
                            assertThat(r.body()).contains(sport);
                        });
        double took = (System.nanoTime() - started) / 1e9;
        assertThat(cluster.parallelisms()).contains(4);
        List<String> after = streamUsers(200, null);
        awaitEachEnteredOnce(after);
        awaitEachEnteredOnce(before);
        System.out.printf(
                "REHEARSAL rescale 2 -> 4 through a savepoint: answering from restored state %.1f s"
                        + " after the stop; 200 users before and 200 after, each entered once%n",
                took);
    }

    /** Something a stream does halfway (a crash). */
    private interface Step {
        void run() throws Exception;
    }

    /**
     * One sport page view for each of {@code n} new users (UUIDs: the synchronous API may ask about
     * them afterwards) on the events topic, 10 ms apart, {@code halfway} run (when given) once half
     * are written; their ids.
     */
    private static List<String> streamUsers(int n, Step halfway) throws Exception {
        List<String> ids = new ArrayList<>();
        try (org.apache.kafka.clients.producer.KafkaProducer<String, String> p =
                new org.apache.kafka.clients.producer.KafkaProducer<>(
                        java.util.Map.of(
                                org.apache.kafka.clients.producer.ProducerConfig
                                        .BOOTSTRAP_SERVERS_CONFIG,
                                cluster.bootstrap(),
                                org.apache.kafka.clients.producer.ProducerConfig.ACKS_CONFIG,
                                "all"),
                        new org.apache.kafka.common.serialization.StringSerializer(),
                        new org.apache.kafka.common.serialization.StringSerializer())) {
            for (int i = 0; i < n; i++) {
                String u = UUID.randomUUID().toString();
                ids.add(u);
                p.send(RehearsalCluster.pageViewRecord(u, "sport"));
                if (i == n / 2 && halfway != null) {
                    p.flush();
                    halfway.run();
                }
                Thread.sleep(10);
            }
            p.flush();
        }
        return ids;
    }

    /**
     * Waits until every one of {@code users} has a committed membership change, then asserts each
     * has exactly one, {@code entered}: none lost, none twice. Returns them by user.
     */
    private static java.util.Map<String, List<String>> awaitEachEnteredOnce(List<String> users)
            throws Exception {
        java.util.Map<String, List<String>> seen = new java.util.HashMap<>();
        Awaitility.await("every user's membership committed")
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(2))
                .until(
                        () -> {
                            seen.clear();
                            seen.putAll(changesOf(users));
                            return seen.size() == users.size();
                        });
        for (String u : users) {
            assertThat(seen.get(u)).as(u).containsExactly("entered");
        }
        return seen;
    }

    /** One segmentation request for {@code user} with its Idempotency-Key; its status (0: none). */
    private static int request(String user) {
        try {
            return RehearsalService.send(
                            service.segmentation(
                                    RehearsalService.pageview(user, "sport"), "svc-" + user))
                    .statusCode();
        } catch (Exception e) {
            return 0; // the service is down: the client will retry
        }
    }

    /**
     * Streams one sport page view for each of 300 new users, injects {@code fault} halfway and
     * recovers it 2 s later, then checks: the synchronous API answers again (the time since the
     * crash is printed), and every user's {@code entered} is committed exactly once (none lost,
     * none twice) for read_committed consumers.
     */
    private static void streamThrough(String what, Fault fault) throws Exception {
        long[] crashed = {0};
        List<String> ids =
                streamUsers(
                        300,
                        () -> {
                            fault.crash();
                            crashed[0] = System.nanoTime();
                        });
        Thread.sleep(Math.max(0, 2_000 - (System.nanoTime() - crashed[0]) / 1_000_000));
        fault.recover();
        String probe = UUID.randomUUID().toString();
        Awaitility.await(what + ": the synchronous API answers again")
                .atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(
                        () ->
                                RehearsalService.send(
                                                        service.segmentation(
                                                                "{\"user_id\":\"" + probe + "\"}",
                                                                null))
                                                .statusCode()
                                        == 200);
        double recovery = (System.nanoTime() - crashed[0]) / 1e9;
        java.util.Map<String, List<String>> seen = awaitEachEnteredOnce(ids);
        System.out.printf(
                "REHEARSAL %s: synchronous API answering again after %.1f s; %d users, %d"
                        + " committed, 0 duplicated%n",
                what, recovery, ids.size(), seen.size());
    }

    /** The committed membership changes of {@code users}, by user. */
    static java.util.Map<String, List<String>> changesOf(List<String> users) throws Exception {
        java.util.Set<String> wanted = new java.util.HashSet<>(users);
        java.util.Map<String, List<String>> out = new java.util.HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                KafkaTopics.drain(
                        cluster.bootstrap(),
                        TopicNames.DEFAULT.memberships(),
                        IsolationLevel.READ_COMMITTED,
                        Duration.ofSeconds(3))) {
            String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
            String user = key.substring(key.indexOf('/') + 1);
            if (wanted.contains(user)) {
                out.computeIfAbsent(user, k -> new ArrayList<>())
                        .add(Json.MAPPER.readTree(r.value()).get("change").asText());
            }
        }
        return out;
    }
}
