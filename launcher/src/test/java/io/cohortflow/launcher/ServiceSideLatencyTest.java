package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.service.metrics.ServiceMetrics;
import java.time.Duration;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The benchmarks' reading of the service's own histogram, on what the service really exposes. */
class ServiceSideLatencyTest {
    @Test
    void quantiles_count_only_the_segmentation_requests_answered_between_the_two_scrapes() {
        ServiceMetrics metrics = new ServiceMetrics();
        for (int i = 0; i < 200; i++) {
            record(metrics, "/ccs/v1/segmentation", 200, 3);
        }
        TreeMap<Double, Long> before = ServiceSideLatency.buckets(metrics.scrape());

        for (int i = 0; i < 98; i++) {
            record(metrics, "/ccs/v1/segmentation", 200, 5);
        }
        record(metrics, "/ccs/v1/segmentation", 429, 40);
        record(metrics, "/ccs/v1/segmentation", 200, 400);
        for (int i = 0; i < 500; i++) {
            record(metrics, "/segments", 200, 900); // another route: not counted
        }
        TreeMap<Double, Long> after = ServiceSideLatency.buckets(metrics.scrape());

        // 100 requests between the scrapes: the median is 5 ms, the 99th 40 ms, the 99.9th 400 ms,
        // each read as the upper bound of its bucket; the 200 before the first scrape (3 ms) are
        // not.
        double p50 = ServiceSideLatency.quantile(before, after, 0.5);
        double p99 = ServiceSideLatency.quantile(before, after, 0.99);
        double p999 = ServiceSideLatency.quantile(before, after, 0.999);
        assertThat(p50).isBetween(5.0, 6.0);
        assertThat(p99).isBetween(40.0, 48.0);
        assertThat(p999).isBetween(400.0, 480.0);
        assertThat(ServiceSideLatency.quantile(after, after, 0.99)).isNaN();
    }

    private static void record(ServiceMetrics m, String route, int status, long millis) {
        m.request("POST", route, status, Duration.ofMillis(millis));
    }
}
