package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.ReplyFrames;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class ReplyListenerTest {
    private final List<String> heard = new CopyOnWriteArrayList<>();

    @Test
    void frames_reach_the_reader_and_garbage_only_closes_its_own_connection() throws Exception {
        try (ReplyListener listener =
                new ReplyListener(
                        "127.0.0.1",
                        0,
                        "",
                        (k, v) -> heard.add(k + "=" + new String(v, StandardCharsets.UTF_8)))) {
            assertThat(listener.address()).startsWith("127.0.0.1:");
            int port = Integer.parseInt(listener.address().substring("127.0.0.1:".length()));
            try (Socket bad = new Socket("127.0.0.1", port)) {
                // A length far past the bound: the listener must not try to allocate it.
                bad.getOutputStream()
                        .write(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
                bad.getOutputStream().flush();
                bad.setSoTimeout(10_000);
                assertThat(bad.getInputStream().read()).as("closed by the listener").isEqualTo(-1);
            }
            try (Socket job = new Socket("127.0.0.1", port)) {
                OutputStream out = job.getOutputStream();
                for (String id : List.of("r1", "r2")) {
                    ByteBuffer f =
                            ReplyFrames.encode(
                                    id, ("{\"" + id + "\":1}").getBytes(StandardCharsets.UTF_8));
                    out.write(f.array(), f.position(), f.remaining());
                }
                out.flush();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 2);
            }
            assertThat(heard).containsExactly("r1={\"r1\":1}", "r2={\"r2\":1}");
        }
    }
}
