package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard and alert rules in {@code monitoring/} against what the system really exports: the
 * job's metrics as Flink's Prometheus reporter names them (recorded by {@link PrometheusNames} on
 * the embedded stack's mini cluster) and the service's {@code /metrics}. Every metric a query names
 * must exist, and the rules must load in {@code promtool} (taken from Debian's package by the
 * build, see src/test/scripts/ensure-promtool.sh).
 */
class MonitoringEndToEndTest {
    static final Path MONITORING = Path.of("..", "monitoring");
    static final Path PROMTOOL = Path.of("target", "tools", "promtool");

    @TempDir static Path data;
    static CohortflowStack stack;
    static final StackClient API = new StackClient(() -> stack);

    @BeforeAll
    static void start() {
        Map<String, String> props = StackClient.testProperties(data);
        props.put("flink.metrics.reporter.names", "names");
        props.put(
                "flink.metrics.reporter.names.factory.class",
                PrometheusNames.Factory.class.getName());
        stack = CohortflowStack.start(LauncherConfig.from(props, Map.of()));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void the_dashboard_and_the_alerts_name_only_metrics_the_job_and_the_service_export()
            throws Exception {
        // Traffic that makes every metric of the job exist: a member, a lookup, a dead letter.
        String sport =
                API.createSegment(
                        "Sport",
                        "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\"sport\"}",
                        "{}");
        API.awaitApplied(sport);
        String user = UUID.randomUUID().toString();
        API.awaitOk(
                "{\"user_id\":\""
                        + user
                        + "\",\"events\":[{\"name\":\"Pageview\",\"time\":\""
                        + Instant.now()
                        + "\",\"properties\":{\"section\":\"sport\"}}]}",
                Duration.ofSeconds(60));
        StackClient.ok(
                API.send(
                        HttpRequest.newBuilder(
                                API.uri("/ccs/v1/users/" + user + "?k=" + StackClient.ADMIN_KEY))));
        try (KafkaProducer<String, String> p =
                new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                        new StringSerializer(),
                        new StringSerializer())) {
            p.send(new ProducerRecord<>(stack.topics().events(), "acme/x", "not json"))
                    .get(10, TimeUnit.SECONDS);
        }
        String deadLetters = "flink_taskmanager_job_task_operator_cohortflow_reason_dead_letters";
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .untilAsserted(
                        () ->
                                assertThat(PrometheusNames.NAMES)
                                        .as("the job's metrics")
                                        .contains(deadLetters));

        // And they count what happened.
        String job = "flink_taskmanager_job_task_operator_cohortflow_";
        assertThat(PrometheusNames.count(job + "events")).isGreaterThanOrEqualTo(1);
        assertThat(PrometheusNames.count(job + "memberships_entered")).isGreaterThanOrEqualTo(1);
        assertThat(PrometheusNames.count(job + "user_requests")).isEqualTo(1);
        assertThat(PrometheusNames.count(job + "replies")).isGreaterThanOrEqualTo(2);
        // Every reply went one way or the other: straight to the replica, or the topic.
        assertThat(
                        PrometheusNames.count(job + "replies_direct")
                                + PrometheusNames.count(job + "replies_via_topic"))
                .isEqualTo(PrometheusNames.count(job + "replies"));
        assertThat(PrometheusNames.count(deadLetters)).isGreaterThanOrEqualTo(1);

        Set<String> exported = new TreeSet<>(PrometheusNames.NAMES);
        HttpResponse<String> scrape = API.send(HttpRequest.newBuilder(API.uri("/metrics")));
        for (String line : scrape.body().split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                exported.add(line.split("[{ ]", 2)[0]);
            }
        }

        List<String> queries = new ArrayList<>();
        JsonNode dashboard =
                Json.MAPPER.readTree(
                        Files.readString(MONITORING.resolve("grafana-dashboard.json")));
        assertThat(dashboard.get("panels")).isNotEmpty();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            panel.get("targets").forEach(t -> queries.add(t.get("expr").asText()));
        }
        Matcher rule =
                Pattern.compile("(?m)^\\s*expr:\\s*(.+)$")
                        .matcher(Files.readString(MONITORING.resolve("prometheus-alerts.yml")));
        int rules = 0;
        while (rule.find()) {
            queries.add(rule.group(1));
            rules++;
        }
        assertThat(rules).isGreaterThanOrEqualTo(5);
        Set<String> named = new TreeSet<>();
        for (String q : queries) {
            named.addAll(metricNames(q));
        }
        assertThat(named).as("metrics the queries name").hasSizeGreaterThan(15);
        assertThat(exported).as("exported metrics").containsAll(named);

        // The alert rules load in Prometheus's own checker.
        assertThat(PROMTOOL).as("promtool, installed by the build").isExecutable();
        Process check =
                new ProcessBuilder(
                                PROMTOOL.toString(),
                                "check",
                                "rules",
                                MONITORING.resolve("prometheus-alerts.yml").toString())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(check.getInputStream().readAllBytes());
        assertThat(check.waitFor()).as(out).isZero();
        assertThat(out).contains("SUCCESS");
    }

    /** The metric names of a PromQL expression (label matchers and ranges left out). */
    static Set<String> metricNames(String expr) {
        String bare = expr.replaceAll("\\{[^}]*}", "").replaceAll("\\[[^]]*]", "");
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("\\b((?:flink|cohortflow)_[A-Za-z0-9_:]+)").matcher(bare);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
