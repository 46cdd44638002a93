package io.cohortflow.service.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A small HTTP client for tests: Adobe-style credentials, JSON answers. */
public final class Http {
    public record Response(int status, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public Http(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** The same client, authenticated with a key (as bearer token too) in an org. */
    public Http as(String key, String org) {
        Http h = new Http(base);
        h.headers.put("x-api-key", key);
        h.headers.put("Authorization", "Bearer " + key);
        h.headers.put("x-gw-ims-org-id", org);
        return h;
    }

    private Http(String base) {
        this.base = base;
    }

    public Http header(String name, String value) {
        Http h = new Http(base);
        h.headers.putAll(headers);
        if (value == null) {
            h.headers.remove(name);
        } else {
            h.headers.put(name, value);
        }
        return h;
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    public Response post(String path, Object body) {
        return send("POST", path, body);
    }

    public Response put(String path, Object body) {
        return send("PUT", path, body);
    }

    /**
     * What the server answers to {@code request} written as is on a new connection. Reads the head
     * and then {@code Content-Length} bytes, not to the end of the stream: a server may keep the
     * connection open to drain a body it has already refused.
     */
    public static Raw raw(int port, String request) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            try {
                s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
            } catch (IOException e) {
                // The server may have answered and closed before reading everything: read on.
            }
            return answer(s.getInputStream());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads one answer: its head, then {@code Content-Length} bytes (or to the end). */
    public static Raw answer(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1).strip();
        Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(h);
        byte[] body =
                length.find()
                        ? in.readNBytes(Integer.parseInt(length.group(1)))
                        : in.readAllBytes();
        int status = Integer.parseInt(h.substring(9, 12));
        return new Raw(status, h, new String(body, StandardCharsets.UTF_8));
    }

    /** A raw answer: the status, the status line and headers as sent, the body. */
    public record Raw(int status, String head, String body) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + head + "\n\n" + body, e);
            }
        }
    }

    public Response send(String method, String path, Object body) {
        try {
            byte[] bytes =
                    body == null
                            ? null
                            : body instanceof byte[] raw
                                    ? raw
                                    : (body instanceof String s
                                                    ? s
                                                    : Json.MAPPER.writeValueAsString(body))
                                            .getBytes(StandardCharsets.UTF_8);
            HttpRequest.Builder b =
                    HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
            headers.forEach(b::header);
            if (bytes != null) {
                b.header("Content-Type", "application/json");
            }
            b.method(
                    method,
                    bytes == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(bytes));
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
