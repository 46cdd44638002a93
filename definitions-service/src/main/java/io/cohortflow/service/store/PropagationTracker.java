package io.cohortflow.service.store;

import io.cohortflow.core.contract.AppliedRecord;
import io.cohortflow.core.contract.Json;
import io.cohortflow.service.kafka.Follower;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the job's {@code cohortflow.applied} topic: for each segment, the latest version each
 * subtask reported live (it evaluates new events with it) and applied (every user it holds was
 * brought up to it). A version is in effect once every subtask reported it live, applied once every
 * subtask reported it applied (or a later version so).
 */
public final class PropagationTracker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PropagationTracker.class);

    /**
     * What the job has done with one segment version.
     *
     * @param inEffect every subtask evaluates new events with this version (or a later one); each
     *     user is brought up to it at their next event or lapse, or by the subtask's sweep
     * @param inEffectAt when the last subtask put it in effect, once all did
     * @param applied every subtask brought every user it holds up to this version (or a later one)
     * @param subtasksReported how many subtasks applied this version or a later one
     * @param parallelism the job's parallelism as reported, 0 when nothing was reported
     * @param appliedAt when the last subtask applied it, once all did
     * @param rejected why the job refused this version (it could not compile it), or null
     */
    public record Status(
            boolean inEffect,
            @Nullable String inEffectAt,
            boolean applied,
            int subtasksReported,
            int parallelism,
            @Nullable String appliedAt,
            @Nullable String rejected) {

        public static final Status NONE = new Status(false, null, false, 0, 0, null, null);
    }

    /** The latest report of each kind from one subtask. */
    private record Reports(@Nullable AppliedRecord live, @Nullable AppliedRecord applied) {
        Reports with(AppliedRecord r) {
            // An applied report says live too, but the time it went live is the live report's
            // (compaction may have removed that one: then the applied report stands for both). A
            // rejection is what the version is.
            boolean appliedReport = AppliedRecord.APPLIED.equals(r.status());
            AppliedRecord l =
                    appliedReport && live != null && live.offset() >= r.offset()
                            ? live
                            : later(live, r);
            AppliedRecord a = appliedReport ? later(applied, r) : applied;
            return new Reports(l, a);
        }

        private static AppliedRecord later(@Nullable AppliedRecord old, AppliedRecord neu) {
            return old == null || neu.offset() >= old.offset() ? neu : old;
        }
    }

    private final Map<String, Map<Integer, Reports>> reports = new ConcurrentHashMap<>();

    private final @Nullable Follower<byte[], byte[]> follower;

    /** Without a broker: reports come only through {@link #accept}. */
    public PropagationTracker() {
        this.follower = null;
    }

    public PropagationTracker(String bootstrap, String topic) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(
                ConsumerConfig.CLIENT_ID_CONFIG,
                "cohortflow-applied-reader-" + UUID.randomUUID().toString().substring(0, 8));
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500); // answered as soon as a report lands
        this.follower =
                new Follower<>(
                        "applied",
                        () ->
                                new KafkaConsumer<>(
                                        c,
                                        new ByteArrayDeserializer(),
                                        new ByteArrayDeserializer()),
                        new Follower.Reader<>() {
                            @Override
                            public void open(
                                    KafkaConsumer<byte[], byte[]> consumer,
                                    Map<TopicPartition, Long> positions) {
                                // The job creates the topic; until it exists there is nothing to
                                // report (an empty assignment: the follower asks again).
                                List<PartitionInfo> infos;
                                try {
                                    infos = consumer.partitionsFor(topic, Duration.ofSeconds(1));
                                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                                    infos = null; // slow metadata at boot: asked again later
                                }
                                List<TopicPartition> parts =
                                        infos == null
                                                ? List.of()
                                                : infos.stream()
                                                        .map(
                                                                i ->
                                                                        new TopicPartition(
                                                                                i.topic(),
                                                                                i.partition()))
                                                        .toList();
                                Follower.assignFromBeginning(consumer, parts, positions);
                            }

                            @Override
                            public void accept(
                                    ConsumerRecords<byte[], byte[]> records,
                                    KafkaConsumer<byte[], byte[]> consumer) {
                                for (ConsumerRecord<byte[], byte[]> r : records) {
                                    read(r);
                                }
                            }
                        },
                        Duration.ofMillis(500));
    }

    public void start() {
        if (follower != null) {
            follower.start();
        }
    }

    /** The reader of the applied topic, for readiness; null without a broker. */
    public @Nullable Follower<byte[], byte[]> follower() {
        return follower;
    }

    private void read(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return;
        }
        try {
            accept(Json.read(r.value(), AppliedRecord.class));
        } catch (IOException e) {
            LOG.warn("skipping an unreadable applied record at {}: {}", r.offset(), e.getMessage());
        }
    }

    /** Records one subtask's report; a later version of the same subtask replaces it. */
    public void accept(AppliedRecord r) {
        if (r == null || r.workspace() == null || r.id() == null) {
            return;
        }
        reports.computeIfAbsent(r.workspace() + "/" + r.id(), k -> new ConcurrentHashMap<>())
                .merge(r.subtask(), new Reports(null, null).with(r), (old, neu) -> old.with(r));
    }

    /** The status of the version written at {@code offset}. */
    public Status status(String workspace, String id, long version, long offset) {
        Map<Integer, Reports> all = reports.getOrDefault(workspace + "/" + id, Map.of());
        int parallelism = parallelismNow(all);
        // A subtask at or past it is one of an earlier run with more subtasks (the job rescaled
        // down from a savepoint): its last reports stay on the compacted topic for good, and would
        // otherwise be waited for at every later version.
        Map<Integer, Reports> bySubtask = new java.util.HashMap<>(all);
        bySubtask.keySet().removeIf(subtask -> subtask >= parallelism);
        List<AppliedRecord> live = reached(bySubtask, Reports::live, version, offset);
        List<AppliedRecord> applied = reached(bySubtask, Reports::applied, version, offset);
        String rejected =
                live.stream()
                        .filter(r -> r.rejected() && r.version() == version)
                        .map(r -> r.reason() == null ? "rejected by the job" : r.reason())
                        .findFirst()
                        .orElse(null);
        boolean inEffect = rejected == null && parallelism > 0 && live.size() >= parallelism;
        boolean done = rejected == null && parallelism > 0 && applied.size() >= parallelism;
        return new Status(
                inEffect,
                inEffect ? latest(live) : null,
                done,
                applied.size(),
                parallelism,
                done ? latest(applied) : null,
                rejected);
    }

    /**
     * The job's parallelism as its newest live report (by definitions offset) says; of reports at
     * the same offset, the fewest subtasks' (a run rescaled down re-reports what an earlier run's
     * subtasks reported there too). 0 when nothing was reported.
     */
    private static int parallelismNow(Map<Integer, Reports> bySubtask) {
        AppliedRecord newest = null;
        for (Reports r : bySubtask.values()) {
            AppliedRecord l = r.live();
            if (l != null
                    && (newest == null
                            || l.offset() > newest.offset()
                            || (l.offset() == newest.offset()
                                    && l.parallelism() < newest.parallelism()))) {
                newest = l;
            }
        }
        return newest == null ? 0 : newest.parallelism();
    }

    /** The reports of the given kind for this version or a later one, one per subtask. */
    private static List<AppliedRecord> reached(
            Map<Integer, Reports> bySubtask,
            java.util.function.Function<Reports, AppliedRecord> kind,
            long version,
            long offset) {
        return bySubtask.values().stream()
                .map(kind)
                .filter(r -> r != null && (r.offset() >= offset || r.version() >= version))
                .toList();
    }

    @Nullable
    private static String latest(List<AppliedRecord> reports) {
        return reports.stream()
                .map(AppliedRecord::appliedAt)
                .filter(a -> a != null)
                .max(String::compareTo)
                .orElse(null);
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.close();
        }
    }
}
