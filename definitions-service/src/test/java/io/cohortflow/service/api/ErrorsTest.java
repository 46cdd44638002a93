package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.service.ServiceException;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The error family's headers, whichever handler threw. */
class ErrorsTest {

    /**
     * Every 429 says when to retry: the limits' own refusals say how long, and the others (an
     * estimate refused while the job's subtasks are busy) a second.
     */
    @Test
    void a_429_without_a_retry_after_of_its_own_gets_one() throws Exception {
        Javalin app =
                Javalin.create(
                        config -> {
                            Errors.register(config, 1024);
                            config.routes.get(
                                    "/busy",
                                    ctx -> {
                                        throw ServiceException.withDetail(
                                                429, "busy", "the job's subtasks are busy", "busy");
                                    });
                            config.routes.get(
                                    "/limited",
                                    ctx -> {
                                        ctx.header("Retry-After", "7");
                                        throw new ServiceException(
                                                429, "too_many_requests", "over the limit");
                                    });
                        });
        app.start("127.0.0.1", 0);
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> busy = get(http, app.port(), "/busy");
            assertThat(busy.statusCode()).isEqualTo(429);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(busy.body()).contains("\"busy\"");
            HttpResponse<String> limited = get(http, app.port(), "/limited");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().allValues("Retry-After")).containsExactly("7");
        } finally {
            app.stop();
        }
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path)
            throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
