package io.cohortflow.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
            AnswerPrinter.UNREACHABLE_HELP
        })
final class SegmentsCommand {
    private SegmentsCommand() {}

    /**
     * {@code s} as one segment of a URL's path. {@link URLEncoder} encodes for forms, where a space
     * is '+'; in a path '+' is itself, so "user 42" was looked up as "user+42".
     */
    static String pathSegment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * {@code params} as a URL's query, {@code ?k=v&...} in their order with the values encoded,
     * those that are null left out; empty when none is left.
     */
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
        @Mixin ServiceClient service;
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
        @Mixin ServiceClient service;
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
        @Mixin ServiceClient service;
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
            JsonNode doc = JsonDocument.read(file).json();
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
            int code = AnswerPrinter.print(cmd, r);
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
        @Mixin ServiceClient service;
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
            String body = JsonDocument.read(file).text(); // refuses what is not JSON here
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
        @Mixin ServiceClient service;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(
                paramLabel = "<segment.json|->",
                description = "The segment; - reads standard input.")
        String file;

        @Override
        public Integer call() throws IOException {
            String body = JsonDocument.read(file).text(); // refuses what is not JSON here
            return service.send(spec.commandLine(), "POST", "/segments", body);
        }
    }
}
