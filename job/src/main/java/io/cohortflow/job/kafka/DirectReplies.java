package io.cohortflow.job.kafka;

import io.cohortflow.core.contract.ReplyFrames;
import io.cohortflow.job.model.KafkaMessage;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replies sent straight to the service replica that waits for each ({@link KafkaMessage#replyTo}),
 * two Kafka hops fewer than the replies topic (docs/segmentation.md, "Replies"). The task thread
 * never waits on a replica: connections are opened on a thread of their own, writes do not block,
 * and a reply that cannot go out at once (no connection yet, a full socket buffer, a broken
 * connection) goes to the replies topic instead, where the replica's reader hears it too. A broken
 * connection is retried after {@link #RETRY_MILLIS}.
 */
public final class DirectReplies implements Sink<KafkaMessage> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DirectReplies.class);

    /** How long a replica that could not be reached is left to the topic before another try. */
    static final long RETRY_MILLIS = 5_000;

    /** How long opening a connection may take. */
    static final int CONNECT_TIMEOUT_MILLIS = 1_000;

    /**
     * Replicas a writer keeps connections to; past this the least recently answered goes (replicas
     * come and go with their addresses: a rolling restart is new pods).
     */
    static final int MAX_REPLICAS = 256;

    /** Where the replies go that cannot go straight: the replies topic. */
    public interface Fallback extends Serializable {
        Topic open();

        /** An open fallback: sends, flushes (at least once) and closes. */
        interface Topic extends AutoCloseable {
            void send(KafkaMessage m);

            void flush();

            @Override
            void close();
        }
    }

    private final Fallback fallback;

    public DirectReplies(Fallback fallback) {
        this.fallback = fallback;
    }

    @Override
    public SinkWriter<KafkaMessage> createWriter(WriterInitContext context) {
        // Beside the operator's (JobMetrics): ..._operator_cohortflow_replies_direct and so on.
        var group = context.metricGroup().addGroup("cohortflow");
        return new Writer(
                fallback.open(),
                group.counter("replies_direct"),
                group.counter("replies_via_topic"),
                System::currentTimeMillis);
    }

    static final class Writer implements SinkWriter<KafkaMessage> {
        private final Fallback.Topic topic;
        private final Counter direct;
        private final Counter viaTopic;
        private final LongSupplier clock;
        private final Map<String, Connection> connections =
                new LinkedHashMap<>(16, 0.75f, true) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, Connection> eldest) {
                        if (size() <= MAX_REPLICAS) {
                            return false;
                        }
                        eldest.getValue().close();
                        return true;
                    }
                };
        private final ExecutorService connector =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "direct-replies-connector");
                            t.setDaemon(true);
                            return t;
                        });

        Writer(Fallback.Topic topic, Counter direct, Counter viaTopic, LongSupplier clock) {
            this.topic = topic;
            this.direct = direct;
            this.viaTopic = viaTopic;
            this.clock = clock;
        }

        @Override
        public void write(KafkaMessage m, Context context) {
            if (m.replyTo != null && m.key != null) {
                Connection c = connections.computeIfAbsent(m.replyTo, Connection::new);
                @Nullable ByteBuffer frame = null;
                try {
                    frame = ReplyFrames.encode(m.key, m.value);
                } catch (IllegalArgumentException tooLarge) {
                    // Past a frame's bounds: the topic's own limit decides what becomes of it.
                }
                if (frame != null && c.send(frame)) {
                    direct.inc();
                    return;
                }
            }
            topic.send(m);
            viaTopic.inc();
        }

        @Override
        public void flush(boolean endOfInput) {
            // What went straight is written; what took the topic is acknowledged before a
            // checkpoint completes, as on the topic's own sink.
            topic.flush();
        }

        @Override
        public void close() {
            connector.shutdownNow();
            connections.values().forEach(Connection::close);
            topic.close();
        }

        /** One replica's connection, opened off the task thread. */
        private final class Connection {
            private final String address;
            private volatile @Nullable SocketChannel channel;
            private volatile boolean connecting;
            private volatile long retryAt;

            Connection(String address) {
                this.address = address;
            }

            /** True when the whole frame is written; false leaves it to the topic. */
            boolean send(ByteBuffer frame) {
                SocketChannel ch = channel;
                if (ch == null) {
                    connectLater();
                    return false;
                }
                try {
                    while (frame.hasRemaining()) {
                        if (ch.write(frame) == 0) {
                            // The replica does not keep up: a frame cut short would corrupt the
                            // stream, so the connection goes and the replica has the topic.
                            broken(new IOException("the socket's buffer is full"));
                            return false;
                        }
                    }
                    return true;
                } catch (IOException e) {
                    broken(e);
                    return false;
                }
            }

            private void connectLater() {
                if (connecting || clock.getAsLong() < retryAt) {
                    return;
                }
                connecting = true;
                connector.execute(
                        () -> {
                            SocketChannel ch = null;
                            try {
                                ch = SocketChannel.open();
                                ch.socket().connect(socketAddress(address), CONNECT_TIMEOUT_MILLIS);
                                ch.configureBlocking(false);
                                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                                channel = ch;
                            } catch (IOException | RuntimeException e) {
                                closeQuietly(ch);
                                retryAt = clock.getAsLong() + RETRY_MILLIS;
                                LOG.info(
                                        "cannot reach {} for direct replies ({}); its replies take"
                                                + " the topic",
                                        address,
                                        e.toString());
                            } finally {
                                connecting = false;
                            }
                        });
            }

            private void broken(IOException e) {
                LOG.info(
                        "the direct replies connection to {} ended ({}); retrying in {} ms",
                        address,
                        e.getMessage(),
                        RETRY_MILLIS);
                close();
                retryAt = clock.getAsLong() + RETRY_MILLIS;
            }

            void close() {
                closeQuietly(channel);
                channel = null;
            }
        }
    }

    /** {@code host:port}, the host a name, an IPv4 address or a bracketed IPv6 one. */
    static InetSocketAddress socketAddress(String address) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1)));
    }

    private static void closeQuietly(@Nullable SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing more to do with it
            }
        }
    }
}
