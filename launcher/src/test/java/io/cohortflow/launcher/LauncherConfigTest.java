package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherConfigTest {
    @TempDir Path dir;

    @Test
    void defaults_are_the_embedded_default_of_the_design() {
        LauncherConfig c = LauncherConfig.from(Map.of(), Map.of());
        assertThat(c.kafkaPort()).isEqualTo(9092);
        assertThat(c.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(c.eventPartitions()).isEqualTo(2);
    }

    @Test
    void the_environment_overrides_the_file() {
        LauncherConfig c =
                LauncherConfig.from(
                        Map.of(
                                LauncherConfig.DATA_DIR.key(),
                                "a",
                                LauncherConfig.KAFKA_PORT.key(),
                                "1"),
                        Map.of(
                                "COHORTFLOW_DATA_DIR",
                                dir.toString(),
                                "COHORTFLOW_KAFKA_PORT",
                                "2"));
        assertThat(c.dataDir()).isEqualTo(dir);
        assertThat(c.kafkaPort()).isEqualTo(2);
    }

    @Test
    void a_port_already_taken_fails_the_start_naming_the_port() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            LauncherConfig c =
                    LauncherConfig.from(
                            Map.of(
                                    LauncherConfig.DATA_DIR.key(),
                                    dir.toString(),
                                    LauncherConfig.KAFKA_PORT.key(),
                                    "0",
                                    "cohortflow.service.port",
                                    Integer.toString(port)),
                            Map.of());
            assertThatThrownBy(() -> CohortflowStack.start(c))
                    .hasMessageContaining("port " + port)
                    .hasMessageContaining("already in use");
        }
    }
}
