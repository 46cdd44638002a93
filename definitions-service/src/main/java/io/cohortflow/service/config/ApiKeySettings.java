package io.cohortflow.service.config;

import io.cohortflow.core.config.InvalidSettingException;
import io.cohortflow.core.config.Settings;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Role;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The API keys the service is provisioned with: a family of entries ({@code
 * cohortflow.api-keys.<name>.*}, one per key) rather than settings of fixed names, plus the
 * full-rights key the environment may provision at start.
 */
public final class ApiKeySettings {
    private ApiKeySettings() {}

    /**
     * Prefix of key entries: {@code cohortflow.api-keys.<name>.key|key-hash|token|token-hash|org|
     * role|owner-id|owner-name|owner-login}.
     */
    public static final String API_KEYS = "cohortflow.api-keys.";

    /** The prefix of those entries before the one key scheme, with camel-case fields. */
    static final String OLD_API_KEYS = "cohortflow.apiKeys.";

    /**
     * The environment variables that provision a full-rights key at start (docs/architecture.md,
     * "Defaults"). They are not settings of their own: they make an entry of {@link #API_KEYS}.
     */
    public static final String ENV_API_KEY = "COHORTFLOW_API_KEY";

    public static final String ENV_API_TOKEN = "COHORTFLOW_API_TOKEN";
    public static final String ENV_ORG = "COHORTFLOW_ORG";

    /**
     * The keys of {@code cohortflow.api-keys.<name>.*} entries (or of the older {@code
     * cohortflow.apiKeys.<name>.*} ones, fields in camel case), and the one the environment
     * provisions.
     */
    static List<ApiKeys.Entry> read(Settings s) {
        Map<String, String> props = new HashMap<>(s.withPrefix(API_KEYS));
        s.withPrefix(OLD_API_KEYS)
                .forEach(
                        (k, v) -> {
                            String rest = k.substring(OLD_API_KEYS.length());
                            int dot = rest.lastIndexOf('.');
                            String current =
                                    API_KEYS
                                            + rest.substring(0, dot + 1)
                                            + kebab(rest.substring(dot + 1));
                            s.noteDeprecated(k, current);
                            props.putIfAbsent(current, v);
                        });
        List<ApiKeys.Entry> keys = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>();
        for (String k : props.keySet()) {
            String rest = k.substring(API_KEYS.length());
            int dot = rest.indexOf('.');
            if (dot > 0) {
                names.add(rest.substring(0, dot));
            }
        }
        for (String name : names) {
            String p = API_KEYS + name + ".";
            String org = require(props, p + "org");
            if (org.indexOf('/') >= 0) {
                // The org is the workspace, the first part of every key the system writes
                // (workspace/segment, workspace/user): a '/' would split it.
                throw new InvalidSettingException(p + "org cannot contain '/', got '" + org + "'");
            }
            String keyHash = props.get(p + "key-hash");
            String key = props.get(p + "key");
            if ((keyHash == null) == (key == null)) {
                throw new InvalidSettingException(
                        "API key '" + name + "' needs exactly one of " + p + "key or key-hash");
            }
            String token = props.get(p + "token");
            String tokenHash = props.get(p + "token-hash");
            String owner = props.get(p + "owner-id");
            long ownerId;
            try {
                ownerId = owner == null ? ownerOf(name) : Long.parseLong(owner.trim());
            } catch (NumberFormatException e) {
                throw new InvalidSettingException(
                        p + "owner-id must be an integer, got '" + owner + "'");
            }
            String ownerName = props.getOrDefault(p + "owner-name", name);
            String ownerLogin = props.getOrDefault(p + "owner-login", name + "@" + org);
            Role role = Role.parse(props.getOrDefault(p + "role", "read"));
            String kh = keyHash != null ? keyHash : ApiKeys.hash(key);
            String th = tokenHash != null ? tokenHash : token != null ? ApiKeys.hash(token) : null;
            keys.add(new ApiKeys.Entry(name, kh, th, org, ownerId, ownerName, ownerLogin, role));
        }
        String envKey = s.env(ENV_API_KEY);
        if (envKey != null) {
            String org = s.env(ENV_ORG) == null ? "default" : s.env(ENV_ORG);
            String token = s.env(ENV_API_TOKEN);
            keys.add(
                    new ApiKeys.Entry(
                            "env",
                            ApiKeys.hash(envKey),
                            token == null ? null : ApiKeys.hash(token),
                            org,
                            1,
                            "Administrator",
                            "admin@" + org,
                            Role.ADMIN));
        }
        return keys;
    }

    private static String kebab(String camel) {
        StringBuilder b = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                b.append('-').append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * The owner id of a key configured without one: its own, derived from its name (stable across
     * restarts and edits of the other keys). With one default for all (it was 1, the environment's
     * administrator), every write key owned every other key's segments. 53 bits, so that a
     * JavaScript client reads it exactly.
     */
    static long ownerOf(String keyName) {
        java.util.UUID u =
                java.util.UUID.nameUUIDFromBytes(
                        ("cohortflow api key " + keyName)
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long id = u.getMostSignificantBits() & 0x1F_FFFF_FFFF_FFFFL;
        return id <= 1 ? id + 2 : id; // never the environment administrator's 1
    }

    private static String require(Map<String, String> props, String key) {
        String v = props.get(key);
        if (v == null || v.isBlank()) {
            throw new InvalidSettingException("missing configuration key " + key);
        }
        return v;
    }
}
