package io.cohortflow.kafka;

import io.cohortflow.core.contract.TopicNames;

/** Every Cohortflow topic on a test broker, as {@link TopicNames#specs} describes them. */
public final class CohortflowTopics {
    private CohortflowTopics() {}

    /** Creates every Cohortflow topic that does not exist yet. */
    public static void ensure(String bootstrap, TopicNames names, int eventPartitions) {
        KafkaTopics.ensure(bootstrap, names.specs(eventPartitions));
    }
}
