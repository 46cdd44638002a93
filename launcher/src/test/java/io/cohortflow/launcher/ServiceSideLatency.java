package io.cohortflow.launcher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;

/**
 * The segmentation requests' latency as the service saw it, from its own histogram ({@code
 * cohortflow_http_requests_seconds} on {@code /metrics}, route {@code /ccs/v1/segmentation}): from
 * the handler's start to the answer's completion, so the round trip through Kafka and the job
 * without the generator, the connection and Jetty's parsing and writing. Set beside the generator's
 * figures it tells where a tail comes from: when the two p99 agree the tail is behind the service,
 * when the service's is much lower it is in HTTP, the generator or the wait for a Jetty thread.
 */
final class ServiceSideLatency {
    private static final String SERIES = "cohortflow_http_requests_seconds_bucket{";
    private static final String ROUTE = "route=\"/ccs/v1/segmentation\"";

    private ServiceSideLatency() {}

    /** Answered requests by bucket bound (seconds), cumulative, over every status. */
    static TreeMap<Double, Long> scrape(HttpClient http, String base) throws Exception {
        return buckets(
                http.send(
                                HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body());
    }

    /** The segmentation route's buckets in a Prometheus text exposition. */
    static TreeMap<Double, Long> buckets(String text) {
        TreeMap<Double, Long> buckets = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith(SERIES) || !line.contains(ROUTE)) {
                continue;
            }
            int le = line.indexOf("le=\"");
            int end = line.indexOf('"', le + 4);
            String bound = line.substring(le + 4, end);
            double seconds =
                    bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound);
            long count = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            buckets.merge(seconds, count, Long::sum);
        }
        return buckets;
    }

    /**
     * The upper bound (ms) of the bucket holding quantile {@code q} of the requests answered
     * between the two scrapes; NaN when none was.
     */
    static double quantile(Map<Double, Long> before, TreeMap<Double, Long> after, double q) {
        long total = 0;
        for (Map.Entry<Double, Long> b : after.entrySet()) {
            total = Math.max(total, b.getValue() - before.getOrDefault(b.getKey(), 0L));
        }
        if (total == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * total);
        for (Map.Entry<Double, Long> b : after.entrySet()) {
            if (b.getValue() - before.getOrDefault(b.getKey(), 0L) >= rank) {
                return b.getKey() * 1000;
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** "p50 / p99 / p99.9" of the service's own histogram between the two scrapes, in ms. */
    static String row(Map<Double, Long> before, TreeMap<Double, Long> after) {
        return String.format(
                "%.1f / %.1f / %.1f",
                quantile(before, after, 0.5),
                quantile(before, after, 0.99),
                quantile(before, after, 0.999));
    }
}
