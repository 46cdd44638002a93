package io.cohortflow.core.contract;

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
 */
public record TopicNames(
        String definitions,
        String events,
        String memberships,
        String replies,
        String deadLetter,
        String applied)
        implements java.io.Serializable {

    public static final TopicNames DEFAULT =
            new TopicNames(
                    "cohortflow.definitions",
                    "cohortflow.events",
                    "cohortflow.memberships",
                    "cohortflow.replies",
                    "cohortflow.dead-letter",
                    "cohortflow.applied");
}
