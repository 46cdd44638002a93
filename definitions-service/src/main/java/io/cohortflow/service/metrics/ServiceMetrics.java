package io.cohortflow.service.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/** The service's Prometheus metrics: requests and latencies per route, limits, store state. */
public final class ServiceMetrics {
    private final PrometheusMeterRegistry registry =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public void request(String method, String route, int status, Duration took) {
        Timer.builder("cohortflow.http.requests")
                .description("HTTP requests by route and status")
                .tags("method", method, "route", route, "status", Integer.toString(status))
                .publishPercentileHistogram()
                .register(registry)
                .record(took);
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
