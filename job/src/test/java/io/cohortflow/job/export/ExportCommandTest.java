package io.cohortflow.job.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cohortflow.core.contract.Json;
import io.cohortflow.job.JobConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code export-members} beside a job whose checkpoints are remote (s3:): the savepoint through the
 * Flink REST endpoint is the default there, as docs/exports.md says; the command refused before
 * asking for it. A fake endpoint answers as Flink's REST API does, with a savepoint that fails, so
 * that no cluster is needed.
 */
class ExportCommandTest {
    @TempDir Path dir;

    private HttpServer rest;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> savepointBodies = new CopyOnWriteArrayList<>();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void startFakeFlinkRest() throws IOException {
        rest = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        rest.createContext(
                "/",
                x -> {
                    String path = x.getRequestURI().getPath();
                    requests.add(x.getRequestMethod() + " " + path);
                    if (path.equals("/jobs/overview")) {
                        answer(
                                x,
                                "{\"jobs\":[{\"jid\":\"j1\",\"name\":\"cohortflow\","
                                        + "\"state\":\"RUNNING\"}]}");
                    } else if (path.equals("/jobs/j1/savepoints")) {
                        savepointBodies.add(
                                new String(
                                        x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                        answer(x, "{\"request-id\":\"r1\"}");
                    } else if (path.equals("/jobs/j1/savepoints/r1")) {
                        answer(
                                x,
                                "{\"status\":{\"id\":\"COMPLETED\"},\"operation\":"
                                        + "{\"failure-cause\":{\"stack-trace\":"
                                        + "\"java.io.IOException: the fake cluster takes none\"}}}");
                    } else {
                        x.sendResponseHeaders(404, -1);
                        x.close();
                    }
                });
        rest.start();
    }

    @AfterEach
    void stop() {
        rest.stop(0);
    }

    private static void answer(HttpExchange x, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(200, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    private int export(String restUrl) throws IOException {
        Path config = dir.resolve("cohortflow.properties");
        Files.writeString(
                config,
                JobConfig.CHECKPOINT_DIR.key()
                        + "=s3://bucket/checkpoints\n"
                        + JobConfig.FLINK_REST_URL.key()
                        + "="
                        + restUrl
                        + "\n");
        return exportWith(
                "--config", config.toString(), "--output", dir.resolve("exports").toString());
    }

    /** The command as ExportCommand.main runs it. */
    private int exportWith(String... args) {
        CommandLine cli = ExportCommand.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private void assertNoStackTrace() {
        assertThat(err.toString()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    /** A mistyped key is said, as the job says it: it kept its default silently before. */
    @Test
    void a_setting_that_is_none_of_the_jobs_is_warned_of() throws Exception {
        Path config = dir.resolve("typo.properties");
        Files.writeString(
                config,
                "cohortflow.job.max-paralelism=256\n"
                        + JobConfig.CHECKPOINT_DIR.key()
                        + "="
                        + dir.resolve("none").toUri()
                        + "\n");
        exportWith("--config", config.toString(), "--output", dir.resolve("e").toString());
        assertThat(err.toString())
                .contains(
                        "export-members: warning: cohortflow.job.max-paralelism is not a setting"
                                + " of this process");
    }

    @Test
    void remote_checkpoints_with_a_rest_url_take_the_savepoint_into_the_exports_directory()
            throws Exception {
        int exit = export("http://127.0.0.1:" + rest.getAddress().getPort());
        assertThat(requests)
                .as(err.toString())
                .contains("GET /jobs/overview", "POST /jobs/j1/savepoints");
        JsonNode body = Json.MAPPER.readTree(savepointBodies.get(0));
        assertThat(body.get("target-directory").asText())
                .isEqualTo(dir.resolve("exports").resolve(".savepoints").toUri().toString());
        // The savepoint failed and a remote checkpoint directory leaves nothing to fall back on:
        // the export failed (1), saying why, not a wrong setting (2).
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString())
                .contains("the fake cluster takes none")
                .contains("no local checkpoint or savepoint to read instead")
                .doesNotContain("is not local and");
        assertThat(err.toString().lines().reduce((a, b) -> b).orElseThrow())
                .isEqualTo(
                        "export-members: no savepoint through http://127.0.0.1:"
                                + rest.getAddress().getPort()
                                + " (the savepoint failed: java.io.IOException: the fake cluster"
                                + " takes none), and no local checkpoint or savepoint to read"
                                + " instead: name one with --state");
        assertThat(err.toString()).doesNotContain("\tat ");
    }

    /**
     * A REST endpoint that does not answer (a launcher killed, its flink-rest-url left behind) is
     * named with the reason as the system gives it, "connection refused", not the JDK client's
     * "ConnectException: ClosedChannelException"; when the newest local snapshot read instead fails
     * too, the line that ends the command says both why the endpoint was not used and what was
     * wrong with the fallback (here: no snapshot, exit 2).
     */
    @Test
    void an_endpoint_that_does_not_answer_is_named_with_why_in_the_fallbacks_lines()
            throws Exception {
        int closed;
        try (java.net.ServerSocket s =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closed;
        Path checkpoints = dir.resolve("data").resolve("checkpoints");
        Path config = dir.resolve("cohortflow.properties");
        Files.writeString(
                config,
                JobConfig.CHECKPOINT_DIR.key()
                        + "="
                        + checkpoints.toUri()
                        + "\n"
                        + JobConfig.FLINK_REST_URL.key()
                        + "="
                        + url
                        + "\n");
        int exit =
                exportWith("--config", config.toString(), "--output", dir.resolve("e").toString());
        assertThat(exit).as(err.toString()).isEqualTo(2);
        // (Warnings of the shell's own COHORTFLOW_* variables aside.)
        List<String> lines =
                err.toString().lines().filter(l -> !l.contains(": warning: ")).toList();
        assertThat(lines)
                .containsExactly(
                        "no savepoint through "
                                + url
                                + " (connection refused); reading the newest checkpoint or"
                                + " savepoint instead",
                        "export-members: no savepoint through "
                                + url
                                + " (connection refused), and reading the newest checkpoint or"
                                + " savepoint instead failed: no checkpoint or savepoint (a"
                                + " directory with _metadata) in ["
                                + checkpoints
                                + ", "
                                + checkpoints.resolveSibling("savepoints")
                                + "]");
        assertNoStackTrace();
    }

    // Mistakes end in one line and exit 2 (CommandErrors), as the launcher's export-members did;
    // run alone, a wrong option printed the whole usage after its line, and a --state without a
    // snapshot a stack trace with exit 1.

    @Test
    void a_bad_argument_exits_2_in_a_line_and_where_the_help_is() {
        assertThat(exportWith("--format", "xml")).isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo(
                        "export-members: --format must be jsonl, csv or parquet, got xml"
                                + System.lineSeparator()
                                + "Try 'export-members --help' for more information."
                                + System.lineSeparator());
        err.getBuffer().setLength(0);
        assertThat(exportWith("--kep", "3")).isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo(
                        "export-members: Unknown options: '--kep', '3'"
                                + System.lineSeparator()
                                + "Possible solutions: --keep"
                                + System.lineSeparator());
        assertThat(requests).isEmpty();
    }

    @Test
    void a_state_without_a_snapshot_exits_2_naming_it() {
        Path nothing = dir.resolve("nothing");
        assertThat(
                        exportWith(
                                "--state",
                                nothing.toString(),
                                "--output",
                                dir.resolve("exports").toString()))
                .isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo(
                        "export-members: no checkpoint or savepoint (a directory with _metadata)"
                                + " in ["
                                + nothing
                                + "]"
                                + System.lineSeparator());
        assertNoStackTrace();
    }

    @Test
    void a_state_that_only_looks_like_a_snapshot_exits_2_naming_it() throws Exception {
        Path fake = Files.createDirectories(dir.resolve("fake"));
        Files.writeString(fake.resolve("_metadata"), "not a snapshot");
        assertThat(exportWith("--state", fake.toString(), "--output", dir.resolve("e").toString()))
                .isEqualTo(2);
        // The progress line, then the error's.
        assertThat(err.toString().lines().reduce((a, b) -> b).orElseThrow())
                .startsWith(
                        "export-members: "
                                + fake
                                + " is not a checkpoint or savepoint the export can read:"
                                + " Unexpected magic number.");
        assertThat(err.toString().lines()).hasSize(2);
        assertNoStackTrace();
    }

    @Test
    void remote_checkpoints_without_a_rest_url_are_refused_naming_both() throws Exception {
        assertThat(export("")).isEqualTo(2);
        assertThat(err.toString())
                .contains("s3://bucket/checkpoints is not local")
                .contains(JobConfig.FLINK_REST_URL.key() + " is not set")
                .contains("--state");
        assertThat(requests).isEmpty();
    }
}
