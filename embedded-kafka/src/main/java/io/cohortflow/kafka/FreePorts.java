package io.cohortflow.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free loopback ports for the servers a process starts (brokers, controllers, Flink's endpoints,
 * tests' listeners). The system hands out a port that is free now and may hand the same one out
 * again once its probe socket is closed: two lookups in a row gave a broker and its controller one
 * port, and Kafka refused to start. So a port is given out at most once per process.
 */
public final class FreePorts {
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    private FreePorts() {}

    /** A loopback port free now and not given out before by this process. */
    public static int next() {
        while (true) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (GIVEN.add(port)) {
                return port;
            }
        }
    }
}
