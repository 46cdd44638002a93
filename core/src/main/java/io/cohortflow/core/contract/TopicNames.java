package io.cohortflow.core.contract;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Kafka topics between the parts (docs/architecture.md, "Topics"). Names are configurable;
 * these are the defaults.
 *
 * @param definitions compacted, one partition: {@link SegmentRecord}s keyed by {@link
 *     SegmentRecord#key}; the source of truth for definitions
 * @param events {@link EventEnvelope}s keyed by {@link EventEnvelope#key}, partitioned by user
 * @param memberships {@link MembershipRecord}s, written exactly once
 * @param replies {@link ReplyRecord}s keyed by request id, at-least-once and low latency
 * @param deadLetter {@link DeadLetterRecord}s: bad input and the reason
 * @param applied {@link AppliedRecord}s: which definition versions the job has applied
 * @param aliases compacted, one partition: the segmentation API's alias bindings
 * @param schemas compacted, one partition: event schemas
 * @param audiences compacted, one partition: {@link AudienceRecord}s, each segment's size now and
 *     its entered/exited series
 * @param estimates one partition, kept an hour: {@link EstimateRequest}s, read by every subtask of
 *     the job beside the definitions
 */
public record TopicNames(
        String definitions,
        String events,
        String memberships,
        String replies,
        String deadLetter,
        String applied,
        String aliases,
        String schemas,
        String audiences,
        String estimates)
        implements java.io.Serializable {

    public static final TopicNames DEFAULT =
            new TopicNames(
                    "cohortflow.definitions",
                    "cohortflow.events",
                    "cohortflow.memberships",
                    "cohortflow.replies",
                    "cohortflow.dead-letter",
                    "cohortflow.applied",
                    "cohortflow.aliases",
                    "cohortflow.schemas",
                    "cohortflow.audiences",
                    "cohortflow.estimates");

    /**
     * Every topic with what it needs.
     *
     * @param eventPartitions partitions of the events topic and of the topics keyed like it: the
     *     upper bound of useful job parallelism
     */
    public List<TopicSpec> specs(int eventPartitions) {
        List<TopicSpec> all = new ArrayList<>(tables());
        all.add(new TopicSpec(events, eventPartitions, Map.of()));
        all.add(new TopicSpec(memberships, eventPartitions, Map.of()));
        // Replies are read within seconds of their writing; an hour covers any reader's restart.
        all.add(new TopicSpec(replies, eventPartitions, Map.of("retention.ms", "3600000")));
        all.add(new TopicSpec(deadLetter, 1, Map.of()));
        // A request is answered within seconds or not at all; an hour covers a job's restart.
        all.add(new TopicSpec(estimates, 1, Map.of("retention.ms", "3600000")));
        return List.copyOf(all);
    }

    /**
     * The compacted tables, one partition each: the definitions log (one partition orders every
     * write; compaction keeps what each key's latest record says), the applied reports, aliases and
     * schemas. The service creates these when missing ({@code cohortflow.kafka.create-topics}).
     */
    public List<TopicSpec> tables() {
        Map<String, String> compact = Map.of("cleanup.policy", "compact");
        // The service tombstones the definitions records no reader needs, and an erasure an
        // alias's bindings; a segment rolled every hour lets compaction take them within the
        // hour (the active segment is never cleaned).
        Map<String, String> rolledHourly =
                Map.of("cleanup.policy", "compact", "segment.ms", "3600000");
        return List.of(
                new TopicSpec(definitions, 1, rolledHourly),
                new TopicSpec(applied, 1, compact),
                new TopicSpec(aliases, 1, rolledHourly),
                new TopicSpec(schemas, 1, compact),
                new TopicSpec(audiences, 1, compact));
    }
}
