package io.cohortflow.kafka;

import io.cohortflow.core.contract.TopicNames;
import java.util.List;
import java.util.Map;

/** The topics of docs/architecture.md ("Topics") with the configs each needs. */
public final class CohortflowTopics {
    private CohortflowTopics() {}

    /**
     * @param eventPartitions partitions of the events topic (and of the topics keyed like it): the
     *     upper bound of useful job parallelism
     */
    public static List<KafkaTopics.Spec> specs(TopicNames t, int eventPartitions) {
        return List.of(
                // The source of truth for definitions: one partition orders every write, and
                // compaction keeps the latest record per segment for ever.
                new KafkaTopics.Spec(
                        t.definitions(),
                        1,
                        Map.of("cleanup.policy", "compact", "min.insync.replicas", "1")),
                new KafkaTopics.Spec(t.events(), eventPartitions, Map.of()),
                new KafkaTopics.Spec(t.memberships(), eventPartitions, Map.of()),
                new KafkaTopics.Spec(
                        t.replies(), eventPartitions, Map.of("retention.ms", "3600000")),
                new KafkaTopics.Spec(t.deadLetter(), 1, Map.of()),
                new KafkaTopics.Spec(t.applied(), 1, Map.of("cleanup.policy", "compact")));
    }

    /** Creates every Cohortflow topic that does not exist yet. */
    public static void ensure(String bootstrap, TopicNames names, int eventPartitions) {
        KafkaTopics.ensure(bootstrap, specs(names, eventPartitions));
    }
}
