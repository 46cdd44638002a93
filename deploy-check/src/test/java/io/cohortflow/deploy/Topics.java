package io.cohortflow.deploy;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.contract.TopicSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/** The topics the code expects, by name: what every deployment must create. */
final class Topics {
    private Topics() {}

    /** {@link TopicNames#specs}: the one list of topics, partitions and configs. */
    static Map<String, TopicSpec> expected(int eventPartitions) {
        Map<String, TopicSpec> out = new LinkedHashMap<>();
        for (TopicSpec s : TopicNames.DEFAULT.specs(eventPartitions)) {
            out.put(s.name(), s);
        }
        return out;
    }
}
