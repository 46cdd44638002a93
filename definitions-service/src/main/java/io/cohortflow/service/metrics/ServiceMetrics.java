package io.cohortflow.service.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The service's Prometheus metrics: requests and latencies per route, limits, store state. Every
 * label comes from a closed set, so no request can add series: a client choosing the method, path
 * or status would otherwise grow the registry (and every scrape) without bound.
 */
public final class ServiceMetrics {
    /** The methods counted by name; any other (invented ones included) is {@code other}. */
    public static final Set<String> METHODS =
            Set.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH");

    private final PrometheusMeterRegistry registry =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /**
     * Records one request.
     *
     * @param route a declared route's path template or {@code unmatched}, never a request's path
     */
    public void request(String method, String route, int status, Duration took) {
        Timer.builder("cohortflow.http.requests")
                .description("HTTP requests by route and status")
                .tags("method", method(method), "route", route, "status", status(status))
                .publishPercentileHistogram()
                .register(registry)
                .record(took);
    }

    /** A request Jetty refused before the app saw it (malformed, too long, too large). */
    public void rejected(int status) {
        Counter.builder("cohortflow.http.rejected")
                .description("requests refused by the HTTP server before routing")
                .tag("status", status(status))
                .register(registry)
                .increment();
    }

    static String method(String method) {
        return method != null && METHODS.contains(method) ? method : "other";
    }

    /** A real HTTP status as it is; anything else (none is expected) is one label. */
    private static String status(int status) {
        return status >= 100 && status <= 599 ? Integer.toString(status) : "other";
    }

    public void limited(String kind) {
        Counter.builder("cohortflow.http.limited")
                .description("requests refused by a per-workspace limit")
                .tag("limit", kind)
                .register(registry)
                .increment();
    }

    /** Registers a gauge read at scrape time. */
    public void gauge(String name, String description, Supplier<Number> value) {
        io.micrometer.core.instrument.Gauge.builder(name, value)
                .description(description)
                .register(registry);
    }

    public String scrape() {
        return registry.scrape();
    }
}
