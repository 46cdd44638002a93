package io.cohortflow.launcher;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * An open-loop HTTP/1.1 load generator that costs the machine little: requests leave at a fixed
 * rate into a bounded queue, and a fixed set of keep-alive connections, each on a thread of its own
 * with blocking sockets, writes them and reads the answers. Latency counts from each request's
 * scheduled instant, so time spent queued behind a slow server is counted, not hidden.
 *
 * <p>Why not {@code java.net.http.HttpClient}: on this 2-core machine its completions ran on a new
 * thread each (the common pool has one thread, so {@code CompletableFuture} falls back to a thread
 * per task), and the generator alone took a third of the two cores at 400 requests/s, which the
 * stack under test then lacked.
 */
final class OpenLoop {
    /** Requests due while this many wait for a connection are not sent (counted as unsent). */
    static final int MAX_QUEUED = 1_500;

    private static final byte[] CRLF2 = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress address;
    private final String path;
    private final int connections;

    /**
     * @param address the server
     * @param path the request target, with its query
     * @param connections keep-alive connections, each with its own thread (the most requests in
     *     flight at once)
     */
    OpenLoop(InetSocketAddress address, String path, int connections) {
        this.address = address;
        this.path = path;
        this.connections = connections;
    }

    /** One request: its JSON body and the instant it was due. */
    private record Due(int index, long scheduledNanos, byte[] request) {}

    /**
     * Sends {@code rate * seconds} POSTs, the {@code i}th body from {@code bodies}, and waits for
     * every answer (each times out after 30 s).
     */
    LatencyBenchmark.Result run(int rate, int seconds, IntFunction<String> bodies)
            throws InterruptedException {
        int total = rate * seconds;
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        BlockingQueue<Due> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
        long[] latencies = new long[total];
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        java.util.Arrays.fill(latencies, -1);
        Due end = new Due(-1, 0, new byte[0]);
        List<Thread> workers = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            Thread t =
                    new Thread(
                            () -> work(queue, end, latencies, errors, refused), "open-loop-" + c);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        int unsent = 0;
        long start = System.nanoTime();
        long startMillis = System.currentTimeMillis();
        for (int i = 0; i < total; i++) {
            long scheduled = start + i * interval;
            long wait = scheduled - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (!queue.offer(new Due(i, scheduled, request(bodies.apply(i))))) {
                unsent++;
            }
        }
        for (int c = 0; c < connections; c++) {
            queue.put(end);
        }
        for (Thread t : workers) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        if (Boolean.getBoolean("timeline")) {
            timeline(latencies, rate);
        }
        int answered = (int) java.util.Arrays.stream(latencies).filter(l -> l >= 0).count();
        long[] scheduled = new long[answered];
        long[] inOrder = new long[answered];
        for (int i = 0, k = 0; i < total; i++) {
            if (latencies[i] >= 0) {
                scheduled[k] = startMillis + TimeUnit.NANOSECONDS.toMillis(i * interval);
                inOrder[k++] = latencies[i];
            }
        }
        return new LatencyBenchmark.Result(
                total - unsent, unsent, errors.get(), refused.get(), scheduled, inOrder);
    }

    /**
     * With {@code -Dtimeline=true}: per second of the schedule, the median and the slowest request,
     * to tell a periodic stall (one bad second) from queueing (every second's tail).
     */
    private static void timeline(long[] latencies, int rate) {
        StringBuilder b = new StringBuilder("TIMELINE p50/max ms per second:");
        for (int from = 0; from < latencies.length; from += rate) {
            long[] second =
                    java.util.Arrays.stream(
                                    latencies, from, Math.min(latencies.length, from + rate))
                            .filter(l -> l >= 0)
                            .sorted()
                            .toArray();
            if (second.length > 0) {
                b.append(
                        String.format(
                                " %.0f/%.0f",
                                second[second.length / 2] / 1e6, second[second.length - 1] / 1e6));
            }
        }
        System.out.println(b);
    }

    private byte[] request(String body) {
        byte[] json = body.getBytes(StandardCharsets.UTF_8);
        byte[] head =
                ("POST "
                                + path
                                + " HTTP/1.1\r\nHost: "
                                + address.getHostString()
                                + ':'
                                + address.getPort()
                                + "\r\nContent-Type: application/json\r\nContent-Length: "
                                + json.length
                                + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + json.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(json, 0, all, head.length, json.length);
        return all;
    }

    /** A keep-alive connection and its buffered input. */
    private record Connection(Socket socket, InputStream in, OutputStream out) {
        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a broken connection: nothing to do
            }
        }
    }

    private void work(
            BlockingQueue<Due> queue,
            Due end,
            long[] latencies,
            AtomicInteger errors,
            AtomicInteger refused) {
        Connection c = null;
        try {
            while (true) {
                Due due = queue.take();
                if (due == end) {
                    return;
                }
                int status;
                boolean reusable;
                try {
                    if (c == null) {
                        c = connect();
                    }
                    c.out.write(due.request);
                    int answer = readResponse(c.in);
                    status = answer & STATUS;
                    reusable = (answer & CLOSE) == 0;
                } catch (IOException e) {
                    status = 0;
                    reusable = false;
                }
                if (!reusable && c != null) {
                    c.close();
                    c = null;
                }
                latencies[due.index] = System.nanoTime() - due.scheduledNanos;
                if (status != 200) {
                    errors.incrementAndGet();
                }
                if (status == 429) {
                    refused.incrementAndGet();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (c != null) {
                c.close();
            }
        }
    }

    private Connection connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(30_000);
        s.connect(address, 5_000);
        // Buffered reads: a response is a few hundred bytes, read in one call.
        return new Connection(
                s, new BufferedInputStream(s.getInputStream(), 8_192), s.getOutputStream());
    }

    private static final int STATUS = 0xFFFF;
    private static final int CLOSE = 0x10000;

    /**
     * Reads one response: its status, with {@link #CLOSE} set when the connection cannot be used
     * again (the server closes it, or the answer has no length).
     */
    private static int readResponse(InputStream in) throws IOException {
        byte[] head = readHead(in);
        if (head == null) {
            return CLOSE;
        }
        String h = new String(head, StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(h.substring(9, 12));
        long length = -1;
        boolean close = false;
        for (String line : h.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Connection") && value.equalsIgnoreCase("close")) {
                close = true;
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                return status
                        | CLOSE; // the service sends a length; anything else ends the connection
            }
        }
        if (length < 0) {
            return status | CLOSE;
        }
        in.skipNBytes(length);
        return close ? status | CLOSE : status;
    }

    /** The response's status line and headers, up to the blank line; null at end of stream. */
    private static byte[] readHead(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream(256);
        int matched = 0;
        while (matched < CRLF2.length) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            matched = c == CRLF2[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        return b.toByteArray();
    }
}
