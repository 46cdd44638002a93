package io.cohortflow.launcher;

import io.cohortflow.job.CommandErrors;
import io.cohortflow.job.NoAnswer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Where the service is and who asks: options every subcommand of {@code segments} and {@code users}
 * takes (a picocli mixin), and the request sent with them. When no answer comes, it says why on
 * standard error in one line; an answer that came is shown by {@link AnswerPrinter}.
 */
final class ServiceClient {
    static final String ENV_URL = "COHORTFLOW_URL";

    /** How long a connection may take, whatever --timeout (which bounds it too) allows. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();

    private static final String KEY_AND_WORKSPACE_NEEDED =
            "an API key and a workspace are needed: --api-key and --org, or"
                    + " COHORTFLOW_API_KEY and COHORTFLOW_ORG";

    @Option(
            names = "--url",
            defaultValue = "${env:" + ENV_URL + ":-http://127.0.0.1:8080}",
            description = "The service (default: $" + ENV_URL + ", else ${DEFAULT-VALUE}).")
    URI url;

    @Option(
            names = "--api-key",
            defaultValue = "${env:COHORTFLOW_API_KEY}",
            description = "The API key (default: $COHORTFLOW_API_KEY).")
    @Nullable String apiKey;

    @Option(
            names = "--token",
            defaultValue = "${env:COHORTFLOW_API_TOKEN}",
            description = "The bearer token (default: $COHORTFLOW_API_TOKEN, else the key).")
    @Nullable String token;

    @Option(
            names = "--org",
            defaultValue = "${env:COHORTFLOW_ORG}",
            description = "The workspace (default: $COHORTFLOW_ORG).")
    @Nullable String org;

    // Above the service's own deadlines (an estimate's is 30 s): its answer, a 504 saying what
    // timed out, should reach the user rather than this client's guess.
    @Option(
            names = "--timeout",
            defaultValue = "60",
            description = "Seconds to wait for an answer (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** A request sent whose answer did not come in time: a failure (1), not "unreachable" (3). */
    static final class SentWithoutAnswer extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SentWithoutAnswer(String message) {
            super(message);
        }
    }

    /** Sends and prints: see {@link AnswerPrinter#print}. */
    int send(CommandLine cmd, String method, String path, @Nullable String body) {
        return AnswerPrinter.print(cmd, request(cmd, method, path, body));
    }

    /** The service's answer, or null after saying on standard error that none came. */
    @Nullable HttpResponse<String> request(
            CommandLine cmd, String method, String path, @Nullable String body) {
        check(cmd);
        // The Segments API names the workspace in a header; the segmentation and users API
        // (/ccs) takes it from the key alone.
        boolean segmentsApi = !path.startsWith("/ccs/");
        if (apiKey == null || apiKey.isBlank()) {
            throw new CommandLine.ParameterException(
                    cmd,
                    segmentsApi
                            ? KEY_AND_WORKSPACE_NEEDED
                            : "an API key is needed: --api-key, or COHORTFLOW_API_KEY");
        }
        if (segmentsApi && (org == null || org.isBlank())) {
            throw new CommandLine.ParameterException(cmd, KEY_AND_WORKSPACE_NEEDED);
        }
        HttpRequest.Builder b =
                HttpRequest.newBuilder(url.resolve(path))
                        .timeout(Duration.ofSeconds(timeoutSeconds))
                        .header("x-api-key", apiKey)
                        .header("Authorization", "Bearer " + (token == null ? apiKey : token))
                        .header("Accept", "application/json");
        if (org != null && !org.isBlank()) {
            b.header("x-gw-ims-org-id", org);
        }
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            if (e instanceof HttpConnectTimeoutException) {
                return unreachable(cmd, e);
            }
            // Sent, and perhaps applied: "could not be reached" (3) would invite a retry that
            // creates a second segment or applies the events twice.
            throw new SentWithoutAnswer(
                    "no answer from "
                            + url
                            + ": "
                            + method
                            + " "
                            + path
                            + " timed out after "
                            + timeoutSeconds
                            + " s (--timeout)"
                            + (reads(method)
                                    ? ""
                                    : "; it was sent, so it may have been applied: check"
                                            + " before retrying"));
        } catch (IOException e) {
            if (NoAnswer.closed(e)) {
                // The service was reached and took the request, perhaps all of it: a write
                // may have been applied, as after a timeout.
                return unreachable(
                        cmd,
                        e,
                        "the connection was closed before "
                                + method
                                + " "
                                + path
                                + " was answered (was the service stopped or restarted?)"
                                + (reads(method)
                                        ? ""
                                        : "; it may have been applied: check before"
                                                + " retrying"));
            }
            return unreachable(cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Whether {@code method} only reads, so that sending it again cannot apply anything twice. */
    private static boolean reads(String method) {
        return method.equals("GET") || method.equals("HEAD");
    }

    private @Nullable HttpResponse<String> unreachable(CommandLine cmd, IOException e) {
        return unreachable(cmd, e, whyNoAnswer(e));
    }

    /**
     * Says on standard error, in one line, why nothing answered and where (the stack trace after it
     * only with COHORTFLOW_VERBOSE set, as CommandErrors has it); null (exit 3) to return.
     */
    private @Nullable HttpResponse<String> unreachable(CommandLine cmd, IOException e, String why) {
        cmd.getErr().println("cohortflow: no answer from " + url + ": " + why);
        if (CommandErrors.verbose(System.getenv())) {
            e.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return null;
    }

    /**
     * What happened, in words: the connection refused (with where to start the system when it is
     * this machine's), not made in time, the host unknown. (A connection closed without an answer
     * is said by {@link #request}, which knows what was sent.)
     */
    String whyNoAnswer(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            // A request's timeout bounds its connection too.
            long within = Math.min(CONNECT_TIMEOUT.toSeconds(), timeoutSeconds);
            return "no connection within "
                    + within
                    + " s"
                    + (within == timeoutSeconds ? " (--timeout)" : "");
        }
        if (causedBy(e, java.nio.channels.UnresolvedAddressException.class)) {
            return "unknown host " + url.getHost();
        }
        if (e instanceof java.net.ConnectException) {
            String why = connectFailure(e);
            if (!why.startsWith("connection refused")) {
                return why;
            }
            // Nothing listens there: the likely mistake is a system not started, or an
            // address that is not the service's.
            return why
                    + (isLoopback(url.getHost())
                            ? " (is the system running? start it with launcher/run.sh)"
                            : " (is the service running there? --url or " + ENV_URL + " names it)");
        }
        return CommandErrors.reasons(e);
    }

    /** Why a connection failed, as the system said it: {@link NoAnswer#connectFailure}. */
    private String connectFailure(IOException e) {
        return NoAnswer.connectFailure(
                e,
                url,
                Duration.ofMillis(Math.min(CONNECT_TIMEOUT.toMillis(), timeoutSeconds * 1000L)));
    }

    /**
     * Refuses, as wrong arguments (2), a --timeout the HTTP client would reject (0 or less) and a
     * --url it cannot send to ("localhost:8080" parses as a URI whose scheme is "localhost").
     */
    void check(CommandLine cmd) {
        if (timeoutSeconds <= 0) {
            throw new CommandLine.ParameterException(
                    cmd, "--timeout must be positive, got " + timeoutSeconds);
        }
        String scheme = url.getScheme();
        if (scheme == null
                || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || url.getHost() == null) {
            throw new CommandLine.ParameterException(
                    cmd, "--url must be an http:// or https:// URL, got " + url);
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code host} is this machine (by name or address, without asking DNS). */
    static boolean isLoopback(String host) {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return h.equalsIgnoreCase("localhost")
                || h.startsWith("127.")
                || h.equals("::1")
                || h.equals("0:0:0:0:0:0:0:1");
    }
}
