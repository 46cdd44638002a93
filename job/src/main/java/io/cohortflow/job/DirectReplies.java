package io.cohortflow.job;

import io.cohortflow.core.contract.ReplyFrames;
import io.cohortflow.job.model.KafkaMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The side records' first stop, chained between the operator and the side sink: a reply whose
 * envelope named its waiting service replica ({@link KafkaMessage#replyTo}) is written straight
 * there, two Kafka hops fewer than the replies topic (docs/segmentation.md, "Replies"); every other
 * record, and a reply that cannot go out at once (no connection yet, a full socket buffer, a broken
 * connection, a frame past its bounds), goes on to the side sink and the topic, where the replica's
 * reader hears it too. The task thread never waits on a replica: connections are opened on a thread
 * of their own and writes do not block; a broken connection is retried after {@link #RETRY_MILLIS}.
 */
public final class DirectReplies extends ProcessFunction<KafkaMessage, KafkaMessage> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DirectReplies.class);

    /** How long a replica that could not be reached is left to the topic before another try. */
    static final long RETRY_MILLIS = 5_000;

    /** How long opening a connection may take. */
    static final int CONNECT_TIMEOUT_MILLIS = 1_000;

    /**
     * Replicas a subtask keeps connections to; past this the least recently answered goes (replicas
     * come and go with their addresses: a rolling restart is new pods).
     */
    static final int MAX_REPLICAS = 256;

    /**
     * Connections being opened at most, one at a time: past this, a reply to a replica not yet
     * connected takes the topic and its connection waits for a later one. The addresses come from
     * the envelopes, so without a bound a stream of new ones would queue connection attempts
     * without end, each waiting out its timeout in turn.
     */
    static final int MAX_PENDING_CONNECTS = 16;

    private transient Replicas replicas;
    private transient Counter direct;
    private transient Counter viaTopic;

    @Override
    public void open(OpenContext context) {
        replicas = new Replicas(System::currentTimeMillis);
        // Beside the operator's (JobMetrics): ..._operator_cohortflow_replies_direct and so on.
        MetricGroup group = JobMetrics.group(getRuntimeContext().getMetricGroup());
        direct = group.counter("replies_direct");
        viaTopic = group.counter("replies_via_topic");
    }

    @Override
    public void processElement(KafkaMessage m, Context ctx, Collector<KafkaMessage> out) {
        if (m.replyTo == null) {
            out.collect(m);
        } else if (replicas.send(m)) {
            direct.inc();
        } else {
            viaTopic.inc();
            out.collect(m);
        }
    }

    @Override
    public void close() {
        if (replicas != null) {
            replicas.close();
        }
    }

    /** The connections to the replicas one subtask answers. */
    static final class Replicas implements AutoCloseable {
        private final LongSupplier clock;
        private final Map<String, Connection> connections =
                new LinkedHashMap<>(16, 0.75f, true) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, Connection> eldest) {
                        if (size() <= MAX_REPLICAS) {
                            return false;
                        }
                        eldest.getValue().evict();
                        return true;
                    }
                };
        private final Executor connector;
        private final AtomicInteger pendingConnects = new AtomicInteger();

        Replicas(LongSupplier clock) {
            this(
                    clock,
                    Executors.newSingleThreadExecutor(
                            r -> {
                                Thread t = new Thread(r, "direct-replies-connector");
                                t.setDaemon(true);
                                return t;
                            }));
        }

        /** With connections opened on {@code connector} (a test runs them when it chooses). */
        Replicas(LongSupplier clock, Executor connector) {
            this.clock = clock;
            this.connector = connector;
        }

        /** True when the reply is written whole to its replica; false leaves it to the topic. */
        boolean send(KafkaMessage m) {
            if (m.replyTo == null || m.key == null) {
                return false;
            }
            Connection c = connections.computeIfAbsent(m.replyTo, Connection::new);
            ByteBuffer frame;
            try {
                frame = ReplyFrames.encode(m.key, m.value);
            } catch (IllegalArgumentException tooLarge) {
                return false; // past a frame's bounds: the topic's own limit decides
            }
            return c.send(frame);
        }

        @Override
        public void close() {
            if (connector instanceof ExecutorService service) {
                service.shutdownNow();
            }
            connections.values().forEach(Connection::evict);
        }

        /** One replica's connection, opened off the task thread. */
        private final class Connection {
            private final String address;
            private volatile @Nullable SocketChannel channel;
            private volatile boolean connecting;
            private volatile long retryAt;

            /**
             * Set once the connection left the table (or the function closed): a connection still
             * being opened then is closed as soon as it is open, else nothing would ever close it.
             */
            private volatile boolean evicted;

            /** Where a read that should find nothing goes (see {@link #send}). */
            private final ByteBuffer probe = ByteBuffer.allocate(1);

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
                    if (ch.read(probe.clear()) != 0) {
                        // The replica never writes: the end of its stream means it closed (say
                        // it restarted at the same address), and a write would still land in the
                        // local buffer and be lost with no error until the next one.
                        broken(new IOException("the replica closed the connection"));
                        return false;
                    }
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
                if (connecting || evicted || clock.getAsLong() < retryAt) {
                    return;
                }
                if (pendingConnects.incrementAndGet() > MAX_PENDING_CONNECTS) {
                    pendingConnects.decrementAndGet();
                    retryAt = clock.getAsLong() + RETRY_MILLIS;
                    return;
                }
                connecting = true;
                try {
                    connector.execute(this::connect);
                } catch (RejectedExecutionException shutDown) {
                    pendingConnects.decrementAndGet();
                    connecting = false;
                }
            }

            /** On the connector's thread. */
            private void connect() {
                SocketChannel ch = null;
                try {
                    if (evicted) {
                        return; // left the table while it waited its turn
                    }
                    ch = SocketChannel.open();
                    ch.socket().connect(socketAddress(address), CONNECT_TIMEOUT_MILLIS);
                    ch.configureBlocking(false);
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    channel = ch;
                    if (evicted) {
                        // Evicted while it connected: evict() may have seen no channel to close
                        // (both fields are volatile, so one of the two sides closes it).
                        close();
                    }
                } catch (IOException | RuntimeException e) {
                    closeQuietly(ch);
                    retryAt = clock.getAsLong() + RETRY_MILLIS;
                    LOG.info(
                            "cannot reach {} for direct replies ({}); its replies take the topic",
                            address,
                            e.toString());
                } finally {
                    connecting = false;
                    pendingConnects.decrementAndGet();
                }
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

            /** For good: out of the table, its connection closed even if still being opened. */
            void evict() {
                evicted = true;
                close();
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
