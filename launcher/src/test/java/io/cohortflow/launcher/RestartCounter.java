package io.cohortflow.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter for tests that keeps the jobs' {@code numRestarts} gauges, so a test can
 * read Flink's own count of restarts. Plugged into the launcher's mini cluster with the property
 * {@code flink.metrics.reporter.restarts.factory.class}.
 */
public final class RestartCounter implements MetricReporterFactory, MetricReporter {
    private static final List<Gauge<?>> GAUGES = new ArrayList<>();

    public static final String PROPERTY = "flink.metrics.reporter.restarts.factory.class";

    /** The restarts Flink counted, summed over every job this JVM ran since the last reset. */
    public static synchronized long restarts() {
        long n = 0;
        for (Gauge<?> g : GAUGES) {
            Object v = g.getValue();
            n += v instanceof Number x ? x.longValue() : 0;
        }
        return n;
    }

    /** How many jobs registered the gauge: proves the reporter is wired at all. */
    public static synchronized int jobsSeen() {
        return GAUGES.size();
    }

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        return this;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (name.equals("numRestarts") && metric instanceof Gauge<?> g) {
            synchronized (RestartCounter.class) {
                GAUGES.add(g);
            }
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        // Kept: a job that ended still counts the restarts it had.
    }
}
