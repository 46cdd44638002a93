package io.cohortflow.job;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Locale;

/**
 * Why a request of the JDK's HTTP client got no answer, in words a user can act on rather than the
 * client's ({@code HTTP/1.1 header parser received no bytes: Connection reset}, {@code
 * ConnectException: ClosedChannelException}). Shared by the launcher's clients of the service
 * ({@code cohortflow segments}, {@code users}) and the members export's client of Flink's REST API.
 */
public final class NoAnswer {
    private NoAnswer() {}

    /**
     * Whether {@code e} says the other end closed (or reset) the connection before a whole answer
     * came, as a server stopped in the middle of a request does: the JDK's client says it as an
     * {@link EOFException}, a "Connection reset" or "Broken pipe", or a channel closed under it,
     * wrapped in its parser's state ("HTTP/1.1 header parser received no bytes", "fixed
     * content-length: 100, bytes received: 4"). A connection that could not be made is not one.
     */
    public static boolean closed(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException) {
                return false;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof EOFException || t instanceof ClosedChannelException) {
                return true;
            }
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if ((t instanceof SocketException && (m.contains("reset") || m.contains("broken pipe")))
                    || m.startsWith("http/1.1 header parser received no bytes")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why a connection to {@code url} failed, as the system said it ("connection refused", "no
     * route to host"). The JDK 17 HttpClient loses that: it retries a failed connect on the channel
     * the failure closed and reports the retry's ClosedChannelException without a message
     * (JDK-8361249), so a plain connect to the same address, within {@code within}, asks again.
     */
    public static String connectFailure(IOException e, URI url, Duration within) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SocketException && t.getMessage() != null) {
                return lowerFirst(t.getMessage());
            }
        }
        int port =
                url.getPort() >= 0
                        ? url.getPort()
                        : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(url.getHost(), port), (int) within.toMillis());
            return "could not connect (it accepts connections now: try again)";
        } catch (UnknownHostException u) {
            return "unknown host " + url.getHost();
        } catch (SocketTimeoutException t) {
            return "no connection within " + within.toSeconds() + " s";
        } catch (IOException io) {
            return io.getMessage() == null ? "could not connect" : lowerFirst(io.getMessage());
        }
    }

    /** "Connection refused" as "connection refused", to follow a colon. */
    static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
