package io.cohortflow.job.export;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.job.CommandErrors;
import io.cohortflow.job.NoAnswer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A running Flink job's savepoint, asked of its cluster's REST API ({@code POST
 * /jobs/:jobid/savepoints}, then polling the operation): a snapshot the job keeps until told
 * otherwise, where a retained checkpoint may be deleted while it is read.
 */
final class FlinkRest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private final String base;

    FlinkRest(String url) {
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** The id of the one running job named {@code name}. */
    String runningJob(String name) throws IOException, InterruptedException {
        List<String> ids = new ArrayList<>();
        for (JsonNode j : get("/jobs/overview").path("jobs")) {
            if (j.path("name").asText().equals(name)
                    && j.path("state").asText().equals("RUNNING")) {
                ids.add(j.path("jid").asText());
            }
        }
        if (ids.size() != 1) {
            throw new IOException(
                    base + " runs " + ids.size() + " jobs named " + name + " (" + ids + ")");
        }
        return ids.get(0);
    }

    /**
     * Takes a savepoint of {@code job} into {@code dir}; returns where it is. Native format: the
     * state backend's own files, which the export's reader restores by copying (a canonical one is
     * restored key by key: 6x slower at 1 M users, docs/benchmarks.md); the export deletes it
     * after.
     */
    Path savepoint(String job, Path dir, Duration timeout)
            throws IOException, InterruptedException {
        String body =
                Json.MAPPER
                        .createObjectNode()
                        .put("target-directory", dir.toUri().toString())
                        .put("cancel-job", false)
                        .put("formatType", "NATIVE")
                        .toString();
        JsonNode trigger = post("/jobs/" + job + "/savepoints", body);
        String request = trigger.path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode s = get("/jobs/" + job + "/savepoints/" + request);
            if (s.path("status").path("id").asText().equals("COMPLETED")) {
                JsonNode op = s.path("operation");
                if (op.has("failure-cause")) {
                    throw new IOException(
                            "the savepoint failed: "
                                    + op.path("failure-cause")
                                            .path("stack-trace")
                                            .asText()
                                            .lines()
                                            .findFirst()
                                            .orElse("no cause"));
                }
                return Path.of(URI.create(op.path("location").asText()));
            }
            Thread.sleep(200);
        }
        throw new IOException("the savepoint did not complete in " + timeout);
    }

    /**
     * Why a request to the endpoint failed, in words: the connection refused (or what else the
     * system said), not made in time, the host unknown, the connection closed without an answer, no
     * answer in time; else the messages of {@code e} and its causes (an answer that was not 2xx, no
     * such job, a savepoint that failed). The JDK's client alone said "ConnectException:
     * ClosedChannelException" for a refused connection (JDK-8361249).
     */
    String why(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within " + REQUEST_TIMEOUT.toSeconds() + " s";
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException) {
                return "unknown host " + URI.create(base).getHost();
            }
        }
        if (e instanceof ConnectException) {
            return NoAnswer.connectFailure(e, URI.create(base), CONNECT_TIMEOUT);
        }
        if (NoAnswer.closed(e)) {
            return "the connection was closed without an answer";
        }
        return CommandErrors.reasons(e);
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    private JsonNode post(String path, String body) throws IOException, InterruptedException {
        return send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
    }

    private JsonNode send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(b.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException(base + " answered " + r.statusCode() + ": " + r.body());
        }
        return Json.MAPPER.readTree(r.body());
    }
}
