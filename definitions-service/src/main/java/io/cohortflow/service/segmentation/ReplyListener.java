package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.ReplyFrames;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the job's answers arrive straight from its subtasks, without the two Kafka hops of the
 * replies topic (docs/segmentation.md, "Replies"): a TCP listener that reads {@link ReplyFrames}
 * and hands each key and value to the same reader as the topic's records. A job holds one
 * connection per subtask that answers, so a thread per connection is cheap. Anything that is not a
 * frame closes its connection; nothing a sender writes reaches further than a reply's future.
 */
final class ReplyListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyListener.class);

    /**
     * Connections served at once: a job holds one per subtask that answers; what comes beyond is
     * closed at once rather than given a thread.
     */
    static final int MAX_CONNECTIONS = 1_024;

    private final ServerSocket server;
    private final String address;
    private final BiConsumer<String, byte[]> replies;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Listens on {@code bindHost:port} (0: any free port) and tells the job to connect to {@code
     * advertisedHost} (empty: the bound address, or this machine's when bound to every interface).
     */
    ReplyListener(
            String bindHost, int port, String advertisedHost, BiConsumer<String, byte[]> replies)
            throws IOException {
        this.replies = replies;
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

    private void accept() {
        while (!closed) {
            try {
                Socket s = server.accept();
                if (open.size() >= MAX_CONNECTIONS) {
                    LOG.warn(
                            "refusing a replies connection from {}: {} open already",
                            s.getRemoteSocketAddress(),
                            open.size());
                    s.close();
                    continue;
                }
                s.setTcpNoDelay(true);
                // A job host gone without a goodbye (a node lost, a partition) would otherwise
                // hold its reader thread and its slot for good: the kernel's keep-alive probes find
                // it (after its idle time, two hours by default). No read timeout: a connection
                // closed under a quiet sender would take its next reply with it.
                s.setKeepAlive(true);
                open.add(s);
                Thread reader = new Thread(() -> read(s), "segmentation-replies-" + s.getPort());
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("the replies listener could not accept a connection", e);
                }
            }
        }
    }

    private void read(Socket s) {
        try (s;
                DataInputStream in =
                        new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16))) {
            ReplyFrames.Frame f;
            while ((f = ReplyFrames.read(in)) != null) {
                replies.accept(f.key(), f.value());
            }
        } catch (IOException e) {
            if (!closed) {
                // A job subtask that stopped, or a sender that is not one: it reconnects.
                LOG.debug("a replies connection from {} ended", s.getRemoteSocketAddress(), e);
            }
        } finally {
            open.remove(s);
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
