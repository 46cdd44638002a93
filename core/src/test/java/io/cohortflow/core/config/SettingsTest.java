package io.cohortflow.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
    static final Setting<Duration> TIMEOUT =
            Setting.duration("cohortflow.test.timeout", Duration.ofSeconds(5), false, "A timeout.")
                    .deprecatedMillis("cohortflow.test.timeoutMs");
    static final Setting<Integer> SIZE =
            Setting.integer("cohortflow.test.size", 10, 1, 100, "A size.").deprecated("test.size");

    @Test
    void the_environment_overrides_the_file_which_overrides_the_default() {
        assertThat(Settings.empty().get(SIZE)).isEqualTo(10);
        assertThat(Settings.of(Map.of("cohortflow.test.size", "20")).get(SIZE)).isEqualTo(20);
        assertThat(
                        Settings.of(
                                        Map.of("cohortflow.test.size", "20"),
                                        Map.of("COHORTFLOW_TEST_SIZE", "30"))
                                .get(SIZE))
                .isEqualTo(30);
        // A blank variable is as good as unset (compose files write FOO= for "not given").
        assertThat(Settings.of(Map.of(), Map.of("COHORTFLOW_TEST_SIZE", " ")).get(SIZE))
                .isEqualTo(10);
    }

    @Test
    void deprecated_names_are_read_below_the_current_one_and_reported() {
        Settings old = Settings.of(Map.of("cohortflow.test.timeoutMs", "2500"));
        assertThat(old.get(TIMEOUT)).isEqualTo(Duration.ofMillis(2500));
        assertThat(old.deprecationsUsed())
                .containsExactly(
                        "cohortflow.test.timeoutMs is deprecated: use cohortflow.test.timeout"
                                + " (COHORTFLOW_TEST_TIMEOUT)");
        Settings both =
                Settings.of(
                        Map.of(
                                "cohortflow.test.timeoutMs",
                                "2500",
                                "cohortflow.test.timeout",
                                "1 s"));
        assertThat(both.get(TIMEOUT)).isEqualTo(Duration.ofSeconds(1));
        assertThat(both.deprecationsUsed()).isEmpty();
        // The job's old keys had COHORTFLOW_ put in front for their variables; still so.
        assertThat(Settings.of(Map.of(), Map.of("COHORTFLOW_TEST_SIZE", "7")).get(SIZE))
                .isEqualTo(7);
        assertThat(Settings.of(Map.of("test.size", "8")).get(SIZE)).isEqualTo(8);
    }

    @Test
    void a_deprecated_name_read_through_a_copy_is_reported_by_the_original() {
        // The launcher and the service read most settings through copies with defaults added;
        // the process warns from the settings it started with.
        Settings started = Settings.of(Map.of("cohortflow.test.timeoutMs", "2500"));
        Settings copy = started.withDefault(SIZE, "20").with(SIZE, "30");
        assertThat(copy.get(TIMEOUT)).isEqualTo(Duration.ofMillis(2500));
        assertThat(started.deprecationsUsed())
                .containsExactly(
                        "cohortflow.test.timeoutMs is deprecated: use cohortflow.test.timeout"
                                + " (COHORTFLOW_TEST_TIMEOUT)");
    }

    @Test
    void errors_name_the_key_the_variable_and_what_the_setting_takes() {
        assertThatThrownBy(() -> Settings.of(Map.of("cohortflow.test.size", "1000")).get(SIZE))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("cohortflow.test.size must be an integer from 1 to 100, got '1000'");
        assertThatThrownBy(
                        () ->
                                Settings.of(Map.of(), Map.of("COHORTFLOW_TEST_TIMEOUT", "-5 s"))
                                        .get(TIMEOUT))
                .hasMessageStartingWith("COHORTFLOW_TEST_TIMEOUT: cohortflow.test.timeout must be");
        assertThatThrownBy(
                        () -> Settings.of(Map.of("cohortflow.test.timeoutMs", "soon")).get(TIMEOUT))
                .hasMessage(
                        "cohortflow.test.timeoutMs must be a whole number of milliseconds, got 'soon'");
        assertThatThrownBy(() -> Settings.of(Map.of("cohortflow.test.timeoutMs", "0")).get(TIMEOUT))
                .hasMessageStartingWith(
                        "cohortflow.test.timeoutMs (the deprecated name of cohortflow.test.timeout):"
                                + " cohortflow.test.timeout must be a positive duration");
        assertThatThrownBy(() -> Settings.of(Map.of("cohortflow.test.timeout", "0 s")).get(TIMEOUT))
                .hasMessageContaining("must be a positive duration");
    }

    @Test
    void durations_read_both_forms_and_refuse_what_does_not_fit() {
        assertThat(Durations.parse("1500 ms")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("5 min")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("90 d")).isEqualTo(Duration.ofDays(90));
        assertThat(Durations.parse("PT5M")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("p90d")).isEqualTo(Duration.ofDays(90));
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500 ms");
        assertThat(Durations.format(Duration.ofDays(90))).isEqualTo("90 d");
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90 min");
        for (String bad :
                List.of(
                        "5",
                        "5 weeks",
                        "PT",
                        "1e9 d",
                        "999999999999999999 d",
                        "PT9999999999999999H")) {
            assertThatThrownBy(() -> Durations.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void with_and_with_default_change_a_copy() {
        Settings s = Settings.of(Map.of("cohortflow.test.size", "20"));
        assertThat(s.with(SIZE, "3").get(SIZE)).isEqualTo(3);
        assertThat(s.withDefault(SIZE, "4").get(SIZE)).isEqualTo(20);
        assertThat(Settings.empty().withDefault(SIZE, "4").get(SIZE)).isEqualTo(4);
        assertThat(s.get(SIZE)).isEqualTo(20);
        assertThatThrownBy(() -> s.with(SIZE, "x")).isInstanceOf(InvalidSettingException.class);
    }

    @Test
    void unknown_keys_and_variables_in_the_namespace_are_found() {
        Settings s =
                Settings.of(
                        Map.of(
                                "cohortflow.test.sise", "3",
                                "cohortflow.test.size", "3",
                                "test.size", "3",
                                "cohortflow.keys.a.org", "x",
                                "log4j.rootLogger", "INFO"),
                        Map.of(
                                "COHORTFLOW_TEST_TIMOUT",
                                "1 s",
                                "COHORTFLOW_API_KEY",
                                "k",
                                "PATH",
                                "/bin"));
        assertThat(
                        s.unknown(
                                List.of(SIZE, TIMEOUT),
                                List.of("cohortflow.keys.", "COHORTFLOW_API_KEY")))
                .containsExactly("cohortflow.test.sise", "COHORTFLOW_TEST_TIMOUT");
    }

    @Test
    void a_missing_file_is_an_error_naming_it() {
        assertThatThrownBy(
                        () ->
                                Settings.load(
                                        java.nio.file.Path.of("/nonexistent/c.properties"),
                                        Map.of()))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("cannot read configuration file /nonexistent/c.properties");
    }
}
