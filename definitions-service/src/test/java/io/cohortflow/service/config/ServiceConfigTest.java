package io.cohortflow.service.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.config.Settings;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.segments.SegmentLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceConfigTest {

    @Test
    void defaults_listen_on_loopback_8080_with_the_spec_limits() {
        ServiceConfig c = ServiceConfig.defaults();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(c.topics().definitions()).isEqualTo("cohortflow.definitions");
        assertThat(c.topics().applied()).isEqualTo("cohortflow.applied");
        assertThat(c.requestsPerMinute()).isEqualTo(60);
        assertThat(c.concurrentRequests()).isEqualTo(6);
        assertThat(c.writeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.maxVersions()).isEqualTo(50);
        assertThat(c.segmentLimits()).isEqualTo(SegmentLimits.DEFAULT);
        assertThat(c.dataViews()).containsEntry("default", "Default data view");
        assertThat(c.apiKeys()).isEmpty();
    }

    @Test
    void segment_limits_are_overridden_by_key_and_a_record_budget_beyond_the_broker_is_refused() {
        ServiceConfig c =
                ServiceConfig.from(
                        Map.of("cohortflow.segments.max-tags", "10"),
                        Map.of(
                                "COHORTFLOW_STORE_MAX_RECORD_BYTES", "100000",
                                "COHORTFLOW_SEGMENTS_MAX_RESOLVED_PREDICATES", "500"));
        assertThat(c.segmentLimits().maxTags()).isEqualTo(10);
        assertThat(c.segmentLimits().maxRecordBytes()).isEqualTo(100_000);
        assertThat(c.segmentLimits().guardrails().maxResolvedPredicates()).isEqualTo(500);
        assertThat(c.segmentLimits().maxDescriptionChars()).isEqualTo(4000);
        assertThatThrownBy(
                        () ->
                                ServiceConfig.from(
                                        Map.of("cohortflow.store.max-record-bytes", "2000000"),
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("from 1 to 1000000");
        assertThatThrownBy(
                        () ->
                                ServiceConfig.from(
                                        Map.of(
                                                "cohortflow.segments.max-resolved-predicates",
                                                "20000"),
                                        Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10000");
    }

    @Test
    void a_file_overrides_defaults_and_the_environment_overrides_the_file(@TempDir Path dir)
            throws Exception {
        Path f = dir.resolve("service.properties");
        Files.writeString(
                f,
                String.join(
                        "\n",
                        "cohortflow.service.port=9000",
                        "cohortflow.limits.requests-per-minute=120",
                        "cohortflow.topics.definitions=defs",
                        "cohortflow.data-views=default:Main,web:Web",
                        "cohortflow.api-keys.ci.key=secret-1",
                        "cohortflow.api-keys.ci.org=acme",
                        "cohortflow.api-keys.ci.role=write",
                        "cohortflow.api-keys.ci.owner-id=7"));
        ServiceConfig c =
                ServiceConfig.from(
                        Settings.load(
                                f,
                                Map.of(
                                        "COHORTFLOW_SERVICE_PORT",
                                        "9100",
                                        "COHORTFLOW_LIMITS_CONCURRENT",
                                        "2")));
        assertThat(c.port()).isEqualTo(9100);
        assertThat(c.requestsPerMinute()).isEqualTo(120);
        assertThat(c.concurrentRequests()).isEqualTo(2);
        assertThat(c.topics().definitions()).isEqualTo("defs");
        assertThat(c.dataViews()).containsEntry("web", "Web").containsEntry("default", "Main");
        ApiKeys.Entry k = c.apiKeys().get(0);
        assertThat(k.role()).isEqualTo(Role.WRITE);
        assertThat(k.ownerId()).isEqualTo(7);
        assertThat(k.keyHash()).startsWith("sha256:").doesNotContain("secret-1");
        assertThat(new ApiKeys(c.apiKeys()).authenticate("secret-1", "Bearer secret-1", "acme"))
                .isInstanceOf(ApiKeys.Outcome.Authenticated.class);
    }

    @Test
    void the_keys_of_before_the_one_scheme_are_read_as_deprecated_names() {
        Settings s =
                Settings.of(
                        Map.of(
                                "cohortflow.limits.requestsPerMinute", "120",
                                "cohortflow.store.writeTimeoutMs", "2500",
                                "cohortflow.dataViews", "default:Main",
                                "cohortflow.apiKeys.ci.key", "secret-1",
                                "cohortflow.apiKeys.ci.org", "acme",
                                "cohortflow.apiKeys.ci.ownerId", "7"),
                        Map.of("COHORTFLOW_KAFKA_BOOTSTRAPSERVERS", "10.0.0.1:9092"));
        ServiceConfig c = ServiceConfig.from(s);
        assertThat(c.requestsPerMinute()).isEqualTo(120);
        assertThat(c.writeTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(c.dataViews()).containsEntry("default", "Main");
        assertThat(c.bootstrapServers()).isEqualTo("10.0.0.1:9092");
        assertThat(c.apiKeys()).singleElement().extracting(ApiKeys.Entry::ownerId).isEqualTo(7L);
        assertThat(s.deprecationsUsed())
                .contains(
                        "COHORTFLOW_KAFKA_BOOTSTRAPSERVERS is deprecated: use"
                                + " cohortflow.kafka.bootstrap-servers"
                                + " (COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS)",
                        "cohortflow.apiKeys.ci.ownerId is deprecated: use"
                                + " cohortflow.api-keys.ci.owner-id");
    }

    @Test
    void keys_without_an_owner_id_each_own_what_they_create() {
        Map<String, String> props =
                Map.of(
                        "cohortflow.api-keys.a.key", "secret-a",
                        "cohortflow.api-keys.a.org", "acme",
                        "cohortflow.api-keys.a.role", "write",
                        "cohortflow.api-keys.b.key", "secret-b",
                        "cohortflow.api-keys.b.org", "acme",
                        "cohortflow.api-keys.b.role", "write");
        List<ApiKeys.Entry> keys = ServiceConfig.from(props, Map.of()).apiKeys();
        assertThat(keys).extracting(ApiKeys.Entry::ownerId).doesNotHaveDuplicates();
        assertThat(keys).extracting(ApiKeys.Entry::ownerId).doesNotContain(1L);
        // The same key keeps its owner across restarts.
        assertThat(ServiceConfig.from(props, Map.of()).apiKeys())
                .extracting(ApiKeys.Entry::ownerId)
                .containsExactlyInAnyOrderElementsOf(
                        keys.stream().map(ApiKeys.Entry::ownerId).toList());
    }

    @Test
    void the_environment_provisions_a_full_rights_key() {
        ServiceConfig c =
                ServiceConfig.from(
                        Map.of(), Map.of("COHORTFLOW_API_KEY", "k1", "COHORTFLOW_ORG", "acme"));
        assertThat(c.apiKeys())
                .singleElement()
                .satisfies(
                        k -> {
                            assertThat(k.role()).isEqualTo(Role.ADMIN);
                            assertThat(k.org()).isEqualTo("acme");
                        });
        var ok = new ApiKeys(c.apiKeys()).authenticate("k1", "Bearer k1", "acme");
        assertThat(ok).isInstanceOf(ApiKeys.Outcome.Authenticated.class);
    }

    @Test
    void invalid_values_are_refused_with_the_key_named() {
        assertThatThrownBy(
                        () ->
                                ServiceConfig.from(
                                        Map.of("cohortflow.service.port", "eighty"), Map.of()))
                .hasMessageContaining("cohortflow.service.port");
        assertThatThrownBy(
                        () ->
                                ServiceConfig.from(
                                        Map.of("cohortflow.limits.concurrent", "0"), Map.of()))
                .hasMessageContaining("at least 1");
        assertThatThrownBy(
                        () ->
                                ServiceConfig.from(
                                        Map.of("cohortflow.api-keys.x.org", "acme"), Map.of()))
                .hasMessageContaining("key or key-hash");
        // The org is the workspace, the first part of the keys the system writes.
        assertThatThrownBy(
                        () ->
                                ServiceConfig.from(
                                        Map.of(
                                                "cohortflow.api-keys.x.org", "acme/eu",
                                                "cohortflow.api-keys.x.key", "k"),
                                        Map.of()))
                .hasMessageContaining("cohortflow.api-keys.x.org cannot contain '/'");
    }
}
