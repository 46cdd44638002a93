package io.cohortflow.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Where settings come from, in one rule for the job, the service and the launcher: an environment
 * variable ({@link Setting#envName}) over the properties file, over the setting's default. A value
 * given under a deprecated key is read when the current key is not given, and noted in {@link
 * #deprecationsUsed} for the caller to warn about.
 *
 * <p>Immutable apart from that note; {@link #with} and {@link #withDefault} make changed copies
 * (the launcher points every part at its embedded broker that way).
 */
public final class Settings {
    private final Map<String, String> properties;
    private final Map<String, String> env;
    private final Map<String, String> overrides;
    private final Map<String, String> defaults;
    // Shared by the copies {@link #with} and {@link #withDefault} make: a deprecated name read
    // through a copy is the process's to warn about all the same.
    private final Set<String> deprecationsUsed;

    private Settings(
            Map<String, String> properties,
            Map<String, String> env,
            Map<String, String> overrides,
            Map<String, String> defaults,
            Set<String> deprecationsUsed) {
        this.properties = Map.copyOf(properties);
        this.env = Map.copyOf(env);
        this.overrides = Map.copyOf(overrides);
        this.defaults = Map.copyOf(defaults);
        this.deprecationsUsed = deprecationsUsed;
    }

    /** Properties (a file's, or a test's) and the environment to read them under. */
    public static Settings of(Map<String, String> properties, Map<String, String> env) {
        return new Settings(
                trimmed(properties), env, Map.of(), Map.of(), ConcurrentHashMap.newKeySet());
    }

    public static Settings of(Map<String, String> properties) {
        return of(properties, Map.of());
    }

    public static Settings empty() {
        return of(Map.of(), Map.of());
    }

    /** The environment variable naming the settings file of a command given none. */
    public static final String CONFIG_ENV = "COHORTFLOW_CONFIG";

    /**
     * The settings file a command reads: the one it was given, else the one {@link #CONFIG_ENV}
     * names, else none; an error naming it when it is not a file.
     */
    public static @Nullable Path file(@Nullable Path given, Map<String, String> env) {
        Path file = given;
        String fromEnv = env.get(CONFIG_ENV);
        if (file == null && fromEnv != null && !fromEnv.isBlank()) {
            file = Path.of(fromEnv);
        }
        if (file != null && !Files.isRegularFile(file)) {
            throw new InvalidSettingException("no configuration file " + file);
        }
        return file;
    }

    /** A properties file ({@code null}: none) and the environment. */
    public static Settings load(@Nullable Path file, Map<String, String> env) {
        return of(file == null ? Map.of() : readProperties(file), env);
    }

    /**
     * A properties file's entries, values trimmed; an error naming the file if it cannot be read.
     */
    public static Map<String, String> readProperties(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new InvalidSettingException(
                    "cannot read configuration file " + file + ": " + e, e);
        }
        Map<String, String> out = new HashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /**
     * The setting's value: its environment variable, else its key in the properties, else the first
     * deprecated name given (environment, then properties), else the default.
     */
    public <T> T get(Setting<T> s) {
        String forced = overrides.get(s.key());
        if (forced != null) {
            return s.parse(forced);
        }
        String e = env.get(s.envName());
        if (e != null && !e.isBlank()) {
            return parseFromEnv(s, s.envName(), e);
        }
        String p = properties.get(s.key());
        if (p != null) {
            return s.parse(p);
        }
        for (Setting.Alias a : s.aliases()) {
            String oldEnv = Setting.envName(a.key());
            String v = env.get(oldEnv);
            String where = oldEnv;
            if (v == null || v.isBlank()) {
                v = properties.get(a.key());
                where = a.key();
            }
            if (v != null) {
                deprecationsUsed.add(
                        where + " is deprecated: use " + s.key() + " (" + s.envName() + ")");
                String current;
                try {
                    current = a.toCurrent().apply(v.trim());
                } catch (IllegalArgumentException bad) {
                    throw new InvalidSettingException(
                            where + " " + bad.getMessage() + ", got '" + v.trim() + "'", bad);
                }
                try {
                    return s.parse(current);
                } catch (InvalidSettingException bad) {
                    throw new InvalidSettingException(
                            where
                                    + " (the deprecated name of "
                                    + s.key()
                                    + "): "
                                    + bad.getMessage(),
                            bad);
                }
            }
        }
        String d = defaults.get(s.key());
        return s.parse(d != null ? d : s.defaultText());
    }

    /** Whether the setting was given anywhere (under any of its names), as against defaulted. */
    public boolean isSet(Setting<?> s) {
        if (overrides.containsKey(s.key())
                || (env.get(s.envName()) != null && !env.get(s.envName()).isBlank())
                || properties.containsKey(s.key())) {
            return true;
        }
        for (String old : s.deprecatedKeys()) {
            if (properties.containsKey(old) || env.get(Setting.envName(old)) != null) {
                return true;
            }
        }
        return false;
    }

    private static <T> T parseFromEnv(Setting<T> s, String var, String value) {
        try {
            return s.parse(value.trim());
        } catch (InvalidSettingException e) {
            throw new InvalidSettingException(var + ": " + e.getMessage(), e);
        }
    }

    /** A copy where {@code s} is {@code value} whatever the file or the environment say. */
    public Settings with(Setting<?> s, String value) {
        s.parse(value);
        Map<String, String> o = new HashMap<>(overrides);
        o.put(s.key(), value);
        return new Settings(properties, env, o, defaults, deprecationsUsed);
    }

    /** A copy where {@code s} defaults to {@code value} unless the file or environment say more. */
    public Settings withDefault(Setting<?> s, String value) {
        s.parse(value);
        Map<String, String> d = new HashMap<>(defaults);
        d.put(s.key(), value);
        return new Settings(properties, env, overrides, d, deprecationsUsed);
    }

    /** The properties under a prefix, for settings keyed by a name of the user's (API keys). */
    public Map<String, String> withPrefix(String prefix) {
        Map<String, String> out = new HashMap<>();
        properties.forEach(
                (k, v) -> {
                    if (k.startsWith(prefix)) {
                        out.put(k, v);
                    }
                });
        return out;
    }

    /**
     * A raw environment variable, for the few that are not settings (a key provisioned at start).
     */
    @Nullable
    public String env(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** Every property, for a part that hands them on (Flink options under {@code flink.}). */
    public Map<String, String> properties() {
        return properties;
    }

    /**
     * Keys and environment variables in Cohortflow's namespace that no known setting reads: almost
     * always a typo, which would otherwise leave a default in force without a word.
     *
     * @param known every setting the process reads
     * @param prefixes key prefixes read as families ({@code cohortflow.api-keys.}) and environment
     *     variables read as they are ({@code COHORTFLOW_API_KEY})
     */
    public List<String> unknown(Collection<Setting<?>> known, Collection<String> prefixes) {
        Set<String> keys = new TreeSet<>();
        Set<String> envs = new TreeSet<>();
        for (Setting<?> s : known) {
            keys.add(s.key());
            envs.add(s.envName());
            for (String old : s.deprecatedKeys()) {
                keys.add(old);
                envs.add(Setting.envName(old));
            }
        }
        List<String> out = new ArrayList<>();
        for (String k : new TreeSet<>(properties.keySet())) {
            if (k.startsWith("cohortflow.") && !keys.contains(k) && !startsWithAny(k, prefixes)) {
                out.add(k);
            }
        }
        for (String e : new TreeSet<>(env.keySet())) {
            if (e.startsWith("COHORTFLOW_") && !envs.contains(e) && !startsWithAny(e, prefixes)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * What a process should warn about once it has read its settings: deprecated names in use, and
     * keys or variables of the namespace that none of {@code known} reads.
     */
    public List<String> warnings(Collection<Setting<?>> known, Collection<String> families) {
        List<String> out = new ArrayList<>(deprecationsUsed());
        for (String u : unknown(known, families)) {
            out.add(u + " is not a setting of this process (docs/configuration.md lists them)");
        }
        return out;
    }

    private static boolean startsWithAny(String s, Collection<String> prefixes) {
        for (String p : prefixes) {
            if (s.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Notes a deprecated name read outside {@link #get}: a family of keys renamed as a whole (the
     * service's API key entries).
     */
    public void noteDeprecated(String oldName, String current) {
        deprecationsUsed.add(oldName + " is deprecated: use " + current);
    }

    /** What the reads so far found under deprecated names, one warning each. */
    public Collection<String> deprecationsUsed() {
        return new LinkedHashSet<>(new TreeSet<>(deprecationsUsed));
    }

    private static Map<String, String> trimmed(Map<String, String> m) {
        Map<String, String> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k.trim(), v == null ? "" : v.trim()));
        return out;
    }
}
