package io.cohortflow.launcher;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter for tests that records the name each metric has in Prometheus, named as
 * Flink's Prometheus reporter names it ({@code flink_<logical scope>_<name>}, characters outside
 * {@code [a-zA-Z0-9:_]} as {@code _}), without serving them: the real reporter listens on every
 * interface, and tests listen on loopback only. Installed on the mini cluster with {@code
 * metrics.reporter.names}.
 */
public final class PrometheusNames implements MetricReporter {
    /** Every name recorded since the JVM started (reporters are made by Flink, not the test). */
    static final Set<String> NAMES = ConcurrentHashMap.newKeySet();

    /** The metrics under each name (one per subtask, say), to read their values. */
    static final java.util.Map<String, java.util.List<Metric>> METRICS = new ConcurrentHashMap<>();

    /** The sum of the counters named {@code name} over every subtask. */
    static long count(String name) {
        long n = 0;
        for (Metric m : METRICS.getOrDefault(name, java.util.List.of())) {
            if (m instanceof org.apache.flink.metrics.Counter c) {
                n += c.getCount();
            }
        }
        return n;
    }

    private static final Pattern UNALLOWED = Pattern.compile("[^a-zA-Z0-9:_]");

    private static String filter(String s) {
        return UNALLOWED.matcher(s).replaceAll("_");
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        String scope =
                org.apache.flink.metrics.LogicalScopeProvider.castFrom(group)
                        .getLogicalScope(PrometheusNames::filter, '_');
        String prometheus = "flink_" + scope + "_" + filter(name);
        NAMES.add(prometheus);
        METRICS.computeIfAbsent(prometheus, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                .add(metric);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

    /** Named in {@code metrics.reporter.<name>.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(java.util.Properties properties) {
            return new PrometheusNames();
        }
    }
}
