package io.cohortflow.job.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter for {@link JobBench} that keeps RocksDB's byte counters of the running
 * job's operators (RocksDB's statistics, turned on by {@link #SETTINGS}): what the job's state
 * writes per event, and what flushes and compactions write after them.
 */
public final class StateWrites implements MetricReporterFactory, MetricReporter {
    /** The Flink settings that plug this reporter in and turn RocksDB's byte counters on. */
    static final Map<String, String> SETTINGS =
            Map.of(
                    "metrics.reporter.statewrites.factory.class", StateWrites.class.getName(),
                    "state.backend.rocksdb.metrics.bytes-written", "true",
                    "state.backend.rocksdb.metrics.compaction-write-bytes", "true");

    /** RocksDB's counters by name ({@code rocksdb.<ticker>}), one gauge per operator instance. */
    private static final Map<String, Map<MetricGroup, Gauge<?>>> GAUGES = new HashMap<>();

    /** Forgets the gauges of earlier jobs (call before a job starts). */
    static synchronized void reset() {
        GAUGES.clear();
    }

    /** Counter {@code ticker} (e.g. {@code bytes_written}) summed over the job's operators. */
    static synchronized long sum(String ticker) {
        long n = 0;
        for (Gauge<?> g : GAUGES.getOrDefault("rocksdb." + ticker, Map.of()).values()) {
            Object v = g.getValue();
            n += v instanceof Number x ? x.longValue() : 0;
        }
        return n;
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
        if (name.startsWith("rocksdb.") && metric instanceof Gauge<?> g) {
            synchronized (StateWrites.class) {
                GAUGES.computeIfAbsent(name, n -> new HashMap<>()).put(group, g);
            }
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        // Kept until reset; read while the job runs (its RocksDB instances close with it).
    }
}
