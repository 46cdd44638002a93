package io.cohortflow.job;

import io.cohortflow.core.config.Setting;
import io.cohortflow.core.config.Settings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The job's settings as Flink {@link ConfigOption}s, so that a cluster's configuration ({@code
 * config.yaml}) or a submission's dynamic properties ({@code flink run
 * -Dcohortflow.job.checkpoint-interval=5s ...}) set them like any Flink option. Those values rank
 * below the job's properties file and environment variables: one rule, with Flink's configuration
 * as the lowest layer above the defaults.
 */
public final class FlinkSettings {
    private FlinkSettings() {}

    /**
     * The option of one setting. Values stay text here and are parsed by the setting itself, so a
     * bad value gets the same message whichever layer it came from.
     */
    public static ConfigOption<String> option(Setting<?> s) {
        return ConfigOptions.key(s.key())
                .stringType()
                .noDefaultValue()
                .withDeprecatedKeys(s.deprecatedKeys().toArray(String[]::new))
                .withDescription(s.description());
    }

    /** Flink's configuration under the properties given, under the environment. */
    public static Settings layered(
            ReadableConfig flink,
            List<Setting<?>> settings,
            Map<String, String> properties,
            Map<String, String> env) {
        Map<String, String> merged = new HashMap<>();
        for (Setting<?> s : settings) {
            flink.getOptional(option(s)).ifPresent(v -> merged.put(s.key(), v));
        }
        // A file's value under a deprecated name still ranks above Flink's under the current one.
        for (Setting<?> s : settings) {
            for (String old : s.deprecatedKeys()) {
                if (properties.containsKey(old)) {
                    merged.remove(s.key());
                }
            }
        }
        merged.putAll(properties);
        return Settings.of(merged, env);
    }
}
