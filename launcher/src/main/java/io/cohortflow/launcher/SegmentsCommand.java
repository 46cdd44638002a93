package io.cohortflow.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.job.CommandErrors;
import io.cohortflow.job.NoAnswer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cohortflow segments list|get|validate|estimate|create}: the Segments API of a running
 * service for scripts. Prints the service's JSON answer on standard output; an error answer goes to
 * standard error with exit code 1 (and a definition found invalid by {@code validate} exits 1 too),
 * a service that cannot be reached exits 3.
 */
@Command(
        name = "segments",
        mixinStandardHelpOptions = true,
        description = "A client of a running service's Segments API, for scripts.",
        subcommands = {
            SegmentsCommand.ListSegments.class,
            SegmentsCommand.GetSegment.class,
            SegmentsCommand.Validate.class,
            SegmentsCommand.Estimate.class,
            SegmentsCommand.Create.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:the service answered an error, or the definition is not valid",
            "2:wrong arguments",
            "3:the service could not be reached"
        })
final class SegmentsCommand {
    static final String ENV_URL = "COHORTFLOW_URL";
    static final int UNREACHABLE = 3;

    private SegmentsCommand() {}

    /** Where the service is and who asks: options every subcommand takes. */
    static final class Service {
        @Option(
                names = "--url",
                defaultValue = "${env:COHORTFLOW_URL:-http://127.0.0.1:8080}",
                description = "The service (default: $COHORTFLOW_URL, else ${DEFAULT-VALUE}).")
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
                                ? "an API key and a workspace are needed: --api-key and --org, or"
                                        + " COHORTFLOW_API_KEY and COHORTFLOW_ORG"
                                : "an API key is needed: --api-key, or COHORTFLOW_API_KEY");
            }
            if (segmentsApi && (org == null || org.isBlank())) {
                throw new CommandLine.ParameterException(
                        cmd,
                        "an API key and a workspace are needed: --api-key and --org, or"
                                + " COHORTFLOW_API_KEY and COHORTFLOW_ORG");
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
                boolean reads = method.equals("GET") || method.equals("HEAD");
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
                                + (reads
                                        ? ""
                                        : "; it was sent, so it may have been applied: check"
                                                + " before retrying"));
            } catch (IOException e) {
                if (NoAnswer.closed(e)) {
                    // The service was reached and took the request, perhaps all of it: a write
                    // may have been applied, as after a timeout.
                    boolean reads = method.equals("GET") || method.equals("HEAD");
                    return unreachable(
                            cmd,
                            e,
                            "the connection was closed before "
                                    + method
                                    + " "
                                    + path
                                    + " was answered (was the service stopped or restarted?)"
                                    + (reads
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

        private @Nullable HttpResponse<String> unreachable(CommandLine cmd, IOException e) {
            return unreachable(cmd, e, whyNoAnswer(e));
        }

        /**
         * Says on standard error, in one line, why nothing answered and where (the stack trace
         * after it only with COHORTFLOW_VERBOSE set, as CommandErrors has it); null (exit 3) to
         * return.
         */
        private @Nullable HttpResponse<String> unreachable(
                CommandLine cmd, IOException e, String why) {
            cmd.getErr().println("cohortflow: no answer from " + url + ": " + why);
            if (CommandErrors.verbose(System.getenv())) {
                e.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return null;
        }

        /**
         * What happened, in words: the connection refused (with where to start the system when it
         * is this machine's), not made in time, the host unknown. (A connection closed without an
         * answer is said by {@link #request}, which knows what was sent.)
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
                                : " (is the service running there? --url or COHORTFLOW_URL"
                                        + " names it)");
            }
            return CommandErrors.reasons(e);
        }

        /** Why a connection failed, as the system said it: {@link NoAnswer#connectFailure}. */
        private String connectFailure(IOException e) {
            return NoAnswer.connectFailure(
                    e,
                    url,
                    Duration.ofMillis(
                            Math.min(CONNECT_TIMEOUT.toMillis(), timeoutSeconds * 1000L)));
        }

        /**
         * Refuses, as wrong arguments (2), a --timeout the HTTP client would reject (0 or less) and
         * a --url it cannot send to ("localhost:8080" parses as a URI whose scheme is "localhost").
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

        /** Sends and prints: see {@link #print}. */
        int send(CommandLine cmd, String method, String path, @Nullable String body) {
            return print(cmd, request(cmd, method, path, body));
        }
    }

    /** A request sent whose answer did not come in time: a failure (1), not "unreachable" (3). */
    static final class SentWithoutAnswer extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SentWithoutAnswer(String message) {
            super(message);
        }
    }

    /** How long a connection may take, whatever --timeout (which bounds it too) allows. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();

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

    /**
     * Prints an answer: 0 with its JSON on standard output for a 2xx, otherwise 1 with the status
     * and the body on standard error (a redirect too: this client follows none, so a create sent to
     * an address that redirects created nothing), 3 when there was none.
     */
    static int print(CommandLine cmd, @Nullable HttpResponse<String> r) {
        if (r == null) {
            return UNREACHABLE;
        }
        int status = r.statusCode();
        if (status >= 200 && status < 300) {
            cmd.getOut().println(pretty(r.body()));
            cmd.getOut().flush();
            return 0;
        }
        PrintWriter err = cmd.getErr();
        err.println(
                "cohortflow: HTTP "
                        + status
                        + r.headers()
                                .firstValue("Location")
                                .map(l -> " (redirected to " + l + "; not followed)")
                                .orElse(""));
        if (!r.body().isBlank()) {
            err.println(pretty(r.body()));
        }
        err.flush();
        return 1;
    }

    static String pretty(String body) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (IOException e) {
            return body; // not JSON (a proxy's error page): as it came
        }
    }

    /**
     * Input the user gave that cannot be used (a file that is not there, a directory, an empty
     * document, text that is not JSON): wrong arguments (2), unlike an answer of the service that
     * cannot be read, which is a failure (1). An {@link IllegalArgumentException}, the family
     * {@link io.cohortflow.job.CommandErrors} takes as wrong input.
     */
    static final class WrongInput extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        WrongInput(String message) {
            super(message);
        }
    }

    /** A JSON document as the user gave it: its text (sent as it is) and its tree. */
    record Document(String text, JsonNode json) {}

    /**
     * The JSON document in a file, or standard input for {@code -}: a missing file, a directory, an
     * empty document or one that is not JSON is {@link WrongInput} naming the file (and, for JSON
     * it cannot read, the line and column).
     */
    static Document read(String file) throws IOException {
        String name = file.equals("-") ? "standard input" : file;
        String text;
        if (file.equals("-")) {
            text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } else {
            Path p = Path.of(file);
            if (Files.isDirectory(p)) {
                throw new WrongInput(file + ": is a directory");
            }
            try {
                text = Files.readString(p);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new WrongInput(file + ": no such file");
            } catch (java.nio.file.AccessDeniedException e) {
                throw new WrongInput(file + ": permission denied");
            } catch (java.nio.charset.MalformedInputException e) {
                throw new WrongInput(file + ": not UTF-8 text");
            }
        }
        if (text.isBlank()) {
            throw new WrongInput(name + ": empty");
        }
        try {
            return new Document(text, Json.MAPPER.readTree(text));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // The parser's own words, without its "Source: ..." and location suffix.
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw new WrongInput(
                    name
                            + ": not JSON"
                            + (at == null
                                    ? ""
                                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                            + ": "
                            + e.getOriginalMessage());
        }
    }

    /**
     * {@code s} as one segment of a URL's path. {@link URLEncoder} encodes for forms, where a space
     * is '+'; in a path '+' is itself, so "user 42" was looked up as "user+42".
     */
    static String pathSegment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String query(Map<String, Object> params) {
        StringJoiner q = new StringJoiner("&", "?", "");
        q.setEmptyValue("");
        params.forEach(
                (k, v) -> {
                    if (v != null) {
                        q.add(k + "=" + URLEncoder.encode(v.toString(), StandardCharsets.UTF_8));
                    }
                });
        return q.toString();
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "Lists segments (GET /segments), as JSON.")
    static final class ListSegments implements Callable<Integer> {
        @Mixin Service service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--name", description = "Names containing this text.")
        @Nullable String name;

        @Option(names = "--tag", description = "Segments with any of these tags (comma-separated).")
        @Nullable String tags;

        @Option(names = "--published", description = "all, true or false (default: all).")
        @Nullable String published;

        @Option(names = "--include-type", description = "shared, all or templates.")
        @Nullable String includeType;

        @Option(names = "--expansion", description = "Extra fields, comma-separated.")
        @Nullable String expansion;

        @Option(names = "--sort", description = "id, name or modified_date.")
        @Nullable String sortProperty;

        @Option(names = "--desc", description = "Sort descending.")
        boolean descending;

        @Option(names = "--limit", description = "Page size, 1 to 1000 (default: the API's 10).")
        @Nullable Integer limit;

        @Option(names = "--page", description = "0-based page.")
        @Nullable Integer page;

        @Override
        public Integer call() {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", name);
            p.put("tagNames", tags);
            p.put("filterByPublishedSegments", published);
            p.put("includeType", includeType);
            p.put("expansion", expansion);
            p.put("sortProperty", sortProperty);
            p.put("sortDirection", descending ? "DESC" : null);
            p.put("limit", limit);
            p.put("page", page);
            return service.send(spec.commandLine(), "GET", "/segments" + query(p), null);
        }
    }

    @Command(
            name = "get",
            mixinStandardHelpOptions = true,
            description = "Shows one segment (GET /segments/{id}), as JSON.")
    static final class GetSegment implements Callable<Integer> {
        @Mixin Service service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "<id>", description = "The segment's id.")
        String id;

        @Option(names = "--expansion", description = "Extra fields, comma-separated.")
        @Nullable String expansion;

        @Override
        public Integer call() {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("expansion", expansion);
            String path = "/segments/" + pathSegment(id) + query(p);
            return service.send(spec.commandLine(), "GET", path, null);
        }
    }

    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description =
                    "Validates a definition (POST /segments/validate): exit 0 when valid, 1 when"
                            + " not, with the service's answer either way.")
    static final class Validate implements Callable<Integer> {
        @Mixin Service service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(
                paramLabel = "<definition.json|->",
                description =
                        "The definition (or a whole segment with a 'definition'); - reads"
                                + " standard input.")
        String file;

        // No default here: a whole segment's own rsid wins over "default", not over --rsid given.
        @Option(
                names = "--rsid",
                description =
                        "The data view to validate against (default: the document's 'rsid' when"
                                + " it is a whole segment, else 'default').")
        @Nullable String rsid;

        @Override
        public Integer call() throws IOException {
            JsonNode doc = read(file).json();
            boolean segment = doc.has("definition");
            JsonNode definition = segment ? doc.get("definition") : doc;
            String dataView =
                    rsid != null
                            ? rsid
                            : segment && doc.path("rsid").isTextual()
                                    ? doc.get("rsid").asText()
                                    : "default";
            CommandLine cmd = spec.commandLine();
            HttpResponse<String> r =
                    service.request(
                            cmd,
                            "POST",
                            "/segments/validate" + query(Map.of("rsid", dataView)),
                            Json.MAPPER.writeValueAsString(definition));
            int code = print(cmd, r);
            if (code != 0) {
                return code;
            }
            JsonNode answer;
            try {
                answer = Json.MAPPER.readTree(r.body());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                answer = null;
            }
            if (answer == null || !answer.isObject()) {
                // The service's fault (or a proxy's), not the user's: a failure, not exit 2.
                cmd.getErr()
                        .println(
                                "cohortflow: the service answered HTTP "
                                        + r.statusCode()
                                        + " with a body that is not a JSON object: cannot tell"
                                        + " whether the definition is valid");
                cmd.getErr().flush();
                return 1;
            }
            return answer.path("valid").asBoolean(false) ? 0 : 1;
        }
    }

    @Command(
            name = "estimate",
            mixinStandardHelpOptions = true,
            description =
                    "Estimates a draft's audience (POST /segments/estimate): the job evaluates it"
                            + " over a uniform sample of the users it holds; prints the size, its"
                            + " 95 %% interval and the sample.")
    static final class Estimate implements Callable<Integer> {
        @Mixin Service service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(
                paramLabel = "<definition.json|->",
                description =
                        "The draft definition (or a whole segment with a 'definition'); - reads"
                                + " standard input.")
        String file;

        @Option(
                names = "--sample",
                paramLabel = "<users>",
                description = "Users to evaluate, 1 to 100 000 (default: the service's, 10 000).")
        @Nullable Integer sample;

        @Override
        public Integer call() throws IOException {
            String body = read(file).text(); // refuses what is not JSON here
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("sample", sample);
            return service.send(spec.commandLine(), "POST", "/segments/estimate" + query(q), body);
        }
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description =
                    "Creates a segment (POST /segments) from a JSON document with name, rsid and"
                            + " definition; prints the created segment.")
    static final class Create implements Callable<Integer> {
        @Mixin Service service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(
                paramLabel = "<segment.json|->",
                description = "The segment; - reads standard input.")
        String file;

        @Override
        public Integer call() throws IOException {
            String body = read(file).text(); // refuses what is not JSON here
            return service.send(spec.commandLine(), "POST", "/segments", body);
        }
    }
}
