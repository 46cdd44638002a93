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

    /** The statuses the HTTP server refuses with before routing (see {@link #rejected}). */
    static final int[] REFUSALS = {400, 413, 414, 431};

    /**
     * The refusal counters exist from the start at zero, so that a rate over them is defined (and
     * the dashboard's queries find them) before the first refusal.
     */
    public ServiceMetrics() {
        for (String kind : new String[] {"rate", "concurrency"}) {
            limitedCounter(kind);
        }
        for (int status : REFUSALS) {
            rejectedCounter(status);
        }
    }

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
        rejectedCounter(status).increment();
    }

    private Counter rejectedCounter(int status) {
        return Counter.builder("cohortflow.http.rejected")
                .description("requests refused by the HTTP server before routing")
                .tag("status", status(status))
                .register(registry);
    }

    static String method(String method) {
        return method != null && METHODS.contains(method) ? method : "other";
    }

    /** A real HTTP status as it is; anything else (none is expected) is one label. */
    private static String status(int status) {
        return status >= 100 && status <= 599 ? Integer.toString(status) : "other";
    }

    public void limited(String kind) {
        limitedCounter(kind).increment();
    }

    private Counter limitedCounter(String kind) {
        return Counter.builder("cohortflow.http.limited")
                .description("requests refused by a per-workspace limit")
                .tag("limit", kind)
                .register(registry);
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
