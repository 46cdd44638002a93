package io.cohortflow.core.contract;

import java.util.Map;

/**
 * A topic as Cohortflow needs it: its name, partitions and topic-level configs. {@link
 * TopicNames#specs} lists them all, the one place that says which topics exist and how; whatever
 * creates topics (the service, the launcher, a test broker, a deployment check) reads it.
 */
public record TopicSpec(String name, int partitions, Map<String, String> configs) {
    public TopicSpec {
        if (partitions < 1) {
            throw new IllegalArgumentException(name + ": partitions must be at least 1");
        }
        configs = Map.copyOf(configs);
    }
}
