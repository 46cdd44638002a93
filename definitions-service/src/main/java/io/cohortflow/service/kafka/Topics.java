package io.cohortflow.service.kafka;

import io.cohortflow.core.contract.TopicSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates Cohortflow's topics, as {@link io.cohortflow.core.contract.TopicNames#specs} describes
 * them: the service's tables when it starts ({@code cohortflow.kafka.create-topics}), every topic
 * when the launcher starts the whole system. Topics that exist are left as they are (a deployment
 * that creates its own, Strimzi's {@code KafkaTopic}s say, owns their configs).
 */
public final class Topics {
    private Topics() {}

    /** Creates the topics that do not exist yet; another process creating one first is fine. */
    public static void ensure(String bootstrap, Collection<TopicSpec> specs) {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec s : specs) {
                if (!existing.contains(s.name())) {
                    missing.add(
                            new NewTopic(s.name(), Optional.of(s.partitions()), Optional.empty())
                                    .configs(s.configs()));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException(
                    "cannot create the topics "
                            + specs.stream().map(TopicSpec::name).toList()
                            + " on "
                            + bootstrap,
                    e);
        }
    }
}
