package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.ReplyFrames;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the job's answers arrive straight from its subtasks, without the two Kafka hops of the
 * replies topic (docs/segmentation.md, "Replies"): a TCP listener that reads {@link ReplyFrames}
 * and hands each key and value to the same reader as the topic's records. A job holds one
 * connection per subtask that answers, so a thread per connection is cheap. Anything that is not a
 * frame closes its connection; nothing a sender writes reaches further than a reply's future.
 *
 * <p>Anything that reaches the port can connect, so what a sender may cost is bounded ({@link
 * Limits}): the frames being read hold at most {@link Limits#maxHeldBytes} together (a frame past
 * that closes its connection), and a frame must be whole within {@link Limits#frameTimeout} of its
 * first byte. Between two frames a connection may stay quiet for good: the job keeps its own open,
 * so what keeps idle senders from taking every connection is {@link Limits#maxConnectionsPerPeer}.
 */
final class ReplyListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyListener.class);

    /**
     * What each connection reads through ahead of the frames (a reply usually comes whole in one
     * read); a larger value is read straight into its own buffer.
     */
    static final int READ_BUFFER_BYTES = 8 * 1024;

    /**
     * What the listener lets its senders cost.
     *
     * @param maxConnections connections served at once: a job holds one per subtask that answers;
     *     what comes beyond is closed at once rather than given a thread
     * @param maxConnectionsPerPeer connections served at once from one address: a task manager
     *     holds one per slot, a job on one machine one per subtask
     * @param maxHeldBytes the bytes all frames being read may hold together (their buffers, not the
     *     read buffers of {@link #READ_BUFFER_BYTES} each connection has): a frame that would take
     *     more closes its connection
     * @param frameTimeout how long a frame may take from its first byte to its last: the job writes
     *     each whole into its socket at once, so its bytes follow each other within the network's
     *     round trips; a sender that stalls inside a frame is closed after this
     */
    record Limits(
            int maxConnections,
            int maxConnectionsPerPeer,
            long maxHeldBytes,
            Duration frameTimeout) {
        /**
         * 64 connections from one address: a task manager in Kubernetes has one slot, a job on one
         * machine (the launcher) one subtask per partition of the events topic, 2 by default (past
         * 64, the subtasks beyond answer through the topic); it takes 16 addresses to fill the 1
         * 024. 32 MiB are 32 of the largest replies (1 MB) at once, where a job has one frame at a
         * time per subtask on its way, most of a few hundred bytes; 5 s is the requests' own wait.
         */
        static final Limits DEFAULT = new Limits(1_024, 64, 32L << 20, Duration.ofSeconds(5));
    }

    private final ServerSocket server;
    private final String address;
    private final BiConsumer<String, byte[]> replies;
    private final Limits limits;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<InetAddress, Integer> perPeer = new ConcurrentHashMap<>();
    private final AtomicLong held = new AtomicLong();
    private final ReplyFrames.Allowance allowance =
            new ReplyFrames.Allowance() {
                @Override
                public boolean reserve(int bytes) {
                    long h;
                    do {
                        h = held.get();
                        if (h + bytes > limits.maxHeldBytes()) {
                            return false;
                        }
                    } while (!held.compareAndSet(h, h + bytes));
                    return true;
                }

                @Override
                public void release(int bytes) {
                    held.addAndGet(-bytes);
                }
            };
    private volatile boolean closed;

    /**
     * Listens on {@code bindHost:port} (0: any free port) and tells the job to connect to {@code
     * advertisedHost} (empty: the bound address, or this machine's when bound to every interface).
     */
    ReplyListener(
            String bindHost, int port, String advertisedHost, BiConsumer<String, byte[]> replies)
            throws IOException {
        this(bindHost, port, advertisedHost, replies, Limits.DEFAULT);
    }

    ReplyListener(
            String bindHost,
            int port,
            String advertisedHost,
            BiConsumer<String, byte[]> replies,
            Limits limits)
            throws IOException {
        this.replies = replies;
        this.limits = limits;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(bindHost, port));
        String host = advertisedHost;
        if (host.isEmpty()) {
            InetAddress bound = server.getInetAddress();
            host =
                    bound.isAnyLocalAddress()
                            ? InetAddress.getLocalHost().getHostAddress()
                            : bound.getHostAddress();
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]"; // IPv6
        }
        address = host + ":" + server.getLocalPort();
        Thread acceptor = new Thread(this::accept, "segmentation-replies-listener");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** {@code host:port}, as envelopes carry it. */
    String address() {
        return address;
    }

    /** The bytes the frames being read hold at the moment, within {@link Limits#maxHeldBytes}. */
    long heldBytes() {
        return held.get();
    }

    /** The connections open at the moment. */
    int connections() {
        return open.size();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket s = server.accept();
                if (open.size() >= limits.maxConnections()) {
                    LOG.warn(
                            "refusing a replies connection from {}: {} open already",
                            s.getRemoteSocketAddress(),
                            open.size());
                    s.close();
                    continue;
                }
                InetAddress peer = s.getInetAddress();
                if (perPeer.merge(peer, 1, Integer::sum) > limits.maxConnectionsPerPeer()) {
                    leave(peer);
                    LOG.warn(
                            "refusing a replies connection from {}: {} open from there already",
                            s.getRemoteSocketAddress(),
                            limits.maxConnectionsPerPeer());
                    s.close();
                    continue;
                }
                try {
                    s.setTcpNoDelay(true);
                    // A job host gone without a goodbye (a node lost, a partition) would otherwise
                    // hold its reader thread and its slot for good: the kernel's keep-alive probes
                    // find it (after its idle time, two hours by default). No read timeout between
                    // frames: a connection closed under a quiet sender would take its next reply
                    // with it.
                    s.setKeepAlive(true);
                    open.add(s);
                    Thread reader =
                            new Thread(() -> read(s), "segmentation-replies-" + s.getPort());
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException | RuntimeException e) {
                    // Not served: its slot and its address's share go back.
                    open.remove(s);
                    leave(peer);
                    s.close();
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    LOG.warn("the replies listener could not accept a connection", e);
                }
            }
        }
    }

    private void read(Socket s) {
        try (s) {
            FrameClock clock = new FrameClock(s, limits.frameTimeout());
            BufferedInputStream buffered = new BufferedInputStream(clock, READ_BUFFER_BYTES);
            DataInputStream in = new DataInputStream(buffered);
            while (true) {
                // Between two frames, as long as the sender likes; the frame's clock starts with
                // its first byte (which may already be in the buffer with the frame before).
                clock.stop();
                buffered.mark(1);
                if (buffered.read() < 0) {
                    return;
                }
                buffered.reset();
                clock.start();
                ReplyFrames.Frame f = ReplyFrames.read(in, allowance);
                if (f == null) {
                    return;
                }
                replies.accept(f.key(), f.value());
            }
        } catch (SocketTimeoutException | ReplyFrames.OverAllowanceException e) {
            if (!closed) {
                LOG.info(
                        "closing a replies connection from {}: {}",
                        s.getRemoteSocketAddress(),
                        e.getMessage());
            }
        } catch (IOException e) {
            if (!closed) {
                // A job subtask that stopped, or a sender that is not one: it reconnects.
                LOG.debug("a replies connection from {} ended", s.getRemoteSocketAddress(), e);
            }
        } finally {
            open.remove(s);
            leave(s.getInetAddress());
        }
    }

    /** One connection fewer from {@code peer}. */
    private void leave(InetAddress peer) {
        perPeer.compute(peer, (p, n) -> n == null || n <= 1 ? null : n - 1);
    }

    /**
     * The socket's stream, whose reads wait at most until the deadline of the frame being read, and
     * as long as it takes between two frames.
     */
    private static final class FrameClock extends FilterInputStream {
        private final Socket socket;
        private final long timeoutNanos;
        private boolean running;
        private long deadline;
        private int soTimeout;

        FrameClock(Socket socket, Duration timeout) throws IOException {
            super(socket.getInputStream());
            this.socket = socket;
            this.timeoutNanos = timeout.toNanos();
        }

        void start() {
            running = true;
            deadline = System.nanoTime() + timeoutNanos;
        }

        void stop() {
            running = false;
        }

        @Override
        public int read() throws IOException {
            wind();
            try {
                return super.read();
            } catch (SocketTimeoutException e) {
                throw late();
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            wind();
            try {
                return super.read(b, off, len);
            } catch (SocketTimeoutException e) {
                throw late();
            }
        }

        private SocketTimeoutException late() {
            return new SocketTimeoutException(
                    "a frame not whole " + timeoutNanos / 1_000_000 + " ms after its first byte");
        }

        /** The socket's timeout for the next read: what is left of the frame's time, or none. */
        private void wind() throws IOException {
            int millis = 0;
            if (running) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw late();
                }
                millis = (int) Math.max(1, (left + 999_999) / 1_000_000);
            }
            if (millis != soTimeout) {
                socket.setSoTimeout(millis);
                soTimeout = millis;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the replies listener", e);
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing a replies connection", e);
            }
        }
    }
}
