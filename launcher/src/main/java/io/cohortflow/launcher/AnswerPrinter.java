package io.cohortflow.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;

/**
 * The service's answer on the console for the {@code segments} and {@code users} commands, and the
 * exit code it makes: the one place of the rule their help's exit code lists state.
 */
final class AnswerPrinter {
    /** The exit code when the service could not be reached: no answer came. */
    static final int UNREACHABLE = 3;

    /** {@link #UNREACHABLE} as a command's help lists it ({@code exitCodeList}). */
    static final String UNREACHABLE_HELP = UNREACHABLE + ":the service could not be reached";

    private AnswerPrinter() {}

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
}
