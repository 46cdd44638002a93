package io.cohortflow.deploy;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.kafka.CohortflowTopics;
import io.cohortflow.kafka.KafkaTopics;
import java.util.LinkedHashMap;
import java.util.Map;

/** The topics the code expects, by name: what every deployment must create. */
final class Topics {
    private Topics() {}

    /**
     * CohortflowTopics (the job's contract) plus the service's compacted tables, which {@code
     * CompactedTable} creates with one partition and {@code cleanup.policy=compact}.
     */
    static Map<String, KafkaTopics.Spec> expected(int eventPartitions) {
        Map<String, KafkaTopics.Spec> out = new LinkedHashMap<>();
        for (KafkaTopics.Spec s : CohortflowTopics.specs(TopicNames.DEFAULT, eventPartitions)) {
            out.put(s.name(), s);
        }
        for (String name :
                new String[] {
                    CommonSettings.TOPIC_ALIASES.defaultText(),
                    CommonSettings.TOPIC_SCHEMAS.defaultText()
                }) {
            out.put(name, new KafkaTopics.Spec(name, 1, Map.of("cleanup.policy", "compact")));
        }
        return out;
    }
}
