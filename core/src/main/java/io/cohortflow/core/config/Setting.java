package io.cohortflow.core.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One setting of Cohortflow: its key, the environment variable that overrides it, what values it
 * takes, its default and the names it had before. Every part (job, service, launcher) declares its
 * settings as constants of this type and reads them through {@link Settings}, so there is one key
 * scheme ({@code cohortflow.<area>.<kebab-name>}), one environment rule ({@link #envName}) and one
 * error message shape, naming the key.
 *
 * @param <T> the parsed value's type
 */
public final class Setting<T> {
    private final String key;
    private final String description;
    private final Kind<T> kind;
    private final String defaultText;
    private final List<Alias> deprecated;

    /**
     * A name the setting had before, with how to turn its values into this setting's ({@code
     * writeTimeoutMs=5000} becomes {@code 5000 ms}).
     */
    record Alias(String key, Function<String, String> toCurrent) {}

    /** What values a setting takes: their parsing and how the docs describe them. */
    private record Kind<T>(String describe, Function<String, T> parse) {}

    private Setting(
            String key,
            String description,
            Kind<T> kind,
            String defaultText,
            List<Alias> deprecated) {
        if (!key.startsWith("cohortflow.")) {
            throw new IllegalArgumentException(
                    "setting keys are cohortflow.<area>.<kebab-name>: " + key);
        }
        this.key = key;
        this.description = description;
        this.kind = kind;
        this.defaultText = defaultText;
        this.deprecated = List.copyOf(deprecated);
        parse(defaultText); // a default that does not parse is a bug, found at class load
    }

    /** Text; the empty default means "not set". */
    public static Setting<String> text(String key, String defaultValue, String description) {
        return new Setting<>(key, description, new Kind<>("text", s -> s), defaultValue, List.of());
    }

    /** An integer in {@code [min, max]}. */
    public static Setting<Integer> integer(
            String key, int defaultValue, int min, int max, String description) {
        String range =
                max == Integer.MAX_VALUE
                        ? "an integer of at least " + min
                        : "an integer from " + min + " to " + max;
        return new Setting<>(
                key,
                description,
                new Kind<>(
                        range,
                        s -> {
                            int v;
                            try {
                                v = Integer.parseInt(s.trim());
                            } catch (NumberFormatException e) {
                                throw new IllegalArgumentException("must be " + range);
                            }
                            if (v < min || v > max) {
                                throw new IllegalArgumentException("must be " + range);
                            }
                            return v;
                        }),
                Integer.toString(defaultValue),
                List.of());
    }

    /**
     * A positive length of time (or zero when {@code zeroAllowed}), in {@link Durations}' forms.
     */
    public static Setting<Duration> duration(
            String key, Duration defaultValue, boolean zeroAllowed, String description) {
        String what = zeroAllowed ? "a duration of zero or more" : "a positive duration";
        return new Setting<>(
                key,
                description,
                new Kind<>(
                        what + " (" + Durations.FORMS + ")",
                        s -> {
                            Duration d = Durations.parse(s);
                            if (d.isNegative() || (d.isZero() && !zeroAllowed)) {
                                throw new IllegalArgumentException("must be " + what);
                            }
                            return d;
                        }),
                Durations.format(defaultValue),
                List.of());
    }

    /** {@code true} or {@code false}. */
    public static Setting<Boolean> bool(String key, boolean defaultValue, String description) {
        return new Setting<>(
                key,
                description,
                new Kind<>(
                        "true or false",
                        s -> {
                            String v = s.trim().toLowerCase(Locale.ROOT);
                            if (!v.equals("true") && !v.equals("false")) {
                                throw new IllegalArgumentException("must be true or false");
                            }
                            return Boolean.parseBoolean(v);
                        }),
                Boolean.toString(defaultValue),
                List.of());
    }

    /** The same setting, also read under the name it had before (values in the same form). */
    public Setting<T> deprecated(String oldKey) {
        return withAlias(new Alias(oldKey, Function.identity()));
    }

    /** The same setting, also read under an old name that took whole milliseconds. */
    public Setting<T> deprecatedMillis(String oldKey) {
        return withAlias(
                new Alias(
                        oldKey,
                        ms -> {
                            if (!ms.matches("\\d{1,18}")) {
                                throw new IllegalArgumentException(
                                        "must be a whole number of milliseconds");
                            }
                            return ms + " ms";
                        }));
    }

    /** The same setting with another default (the launcher's, say), keeping key and aliases. */
    public Setting<T> withDefault(String text) {
        return new Setting<>(key, description, kind, text, deprecated);
    }

    private Setting<T> withAlias(Alias a) {
        List<Alias> all = new ArrayList<>(deprecated);
        all.add(a);
        return new Setting<>(key, description, kind, defaultText, all);
    }

    /**
     * The environment variable that overrides a key: upper case, dots and dashes as underscores
     * ({@code cohortflow.kafka.bootstrap-servers} is {@code COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS}). A
     * key without the {@code cohortflow.} prefix (the job's old keys) gets it first, which is the
     * rule those keys had.
     */
    public static String envName(String key) {
        String k = key.startsWith("cohortflow.") ? key : "cohortflow." + key;
        return k.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * A kebab-case name as the camel-case keys of before spelt it ({@code max-name-length} is
     * {@code maxNameLength}): for declaring those keys as deprecated names.
     */
    public static String camelCase(String kebab) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                up = true;
            } else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }

    /** A value in this setting's form, or an error that names the key and what it takes. */
    T parse(String text) {
        try {
            return kind.parse().apply(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(
                    key + " " + e.getMessage() + ", got '" + text + "'", e);
        }
    }

    public String key() {
        return key;
    }

    public String envName() {
        return envName(key);
    }

    public String description() {
        return description;
    }

    /** What values it takes, in words. */
    public String values() {
        return kind.describe();
    }

    /** The default as written in a properties file; empty for "not set". */
    public String defaultText() {
        return defaultText;
    }

    public T defaultValue() {
        return parse(defaultText);
    }

    /** The names this setting had before, read when the current one is not given. */
    public List<String> deprecatedKeys() {
        return deprecated.stream().map(Alias::key).toList();
    }

    List<Alias> aliases() {
        return deprecated;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Setting<?> s && s.key.equals(key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key);
    }

    @Override
    public String toString() {
        return key;
    }
}
