package org.apache.flink.metrics.prometheus;

import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Properties;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Flink's Prometheus reporter serving on 127.0.0.1 instead of every interface: the rehearsal runs
 * on a shared machine whose servers listen on loopback only. Deployed (compose, k8s) the stock
 * {@link PrometheusReporterFactory} is right, as Prometheus scrapes the pod's address. Everything
 * but the bind address is the stock reporter's ({@link AbstractPrometheusReporter}: names, labels,
 * metric types), so what the rehearsal scrapes is what a deployment exports. It sits in the
 * reporter's package because the registry it serves is package-private there.
 */
public final class LoopbackPrometheusReporterFactory implements MetricReporterFactory {

    @Override
    public AbstractPrometheusReporter createMetricReporter(Properties properties) {
        return new LoopbackReporter(((MetricConfig) properties).getInteger("port", 9249));
    }

    private static final class LoopbackReporter extends AbstractPrometheusReporter {
        private final HTTPServer server;

        LoopbackReporter(int port) {
            try {
                server = new HTTPServer(new InetSocketAddress("127.0.0.1", port), registry);
            } catch (IOException e) {
                throw new UncheckedIOException("Prometheus reporter on 127.0.0.1:" + port, e);
            }
            log.info("Prometheus reporter serving on 127.0.0.1:{}", port);
        }

        @Override
        public void close() {
            server.stop();
            super.close();
        }
    }
}
