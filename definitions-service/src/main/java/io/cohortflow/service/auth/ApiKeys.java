package io.cohortflow.service.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The provisioned API keys. Secrets are never kept: each key (and optional bearer token) is stored
 * as {@code sha256:<salt hex>:<digest hex>} of salt + secret, and compared in constant time.
 */
public final class ApiKeys {

    /**
     * One key.
     *
     * @param keyHash the hashed {@code x-api-key}
     * @param tokenHash the hashed bearer token; null means the bearer token is the key itself
     */
    public record Entry(
            String name,
            String keyHash,
            @Nullable String tokenHash,
            String org,
            long ownerId,
            String ownerName,
            String ownerLogin,
            Role role) {}

    /** Why a request is not authenticated, or who it is. */
    public sealed interface Outcome {
        record Authenticated(Principal principal) implements Outcome {}

        record Rejected(int status, String code, String message) implements Outcome {}
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    /** One digest per thread: looking the algorithm up per request showed in the profile. */
    private static final ThreadLocal<MessageDigest> SHA_256 =
            ThreadLocal.withInitial(
                    () -> {
                        try {
                            return MessageDigest.getInstance("SHA-256");
                        } catch (NoSuchAlgorithmException e) {
                            throw new IllegalStateException("every JVM has SHA-256", e);
                        }
                    });

    /** A stored {@code sha256:<salt>:<digest>}, parsed once. */
    private record Stored(byte[] salt, byte[] digest) {
        static Stored parse(String stored) {
            String[] parts = stored.split(":");
            if (parts.length != 3 || !parts[0].equals("sha256")) {
                throw new IllegalArgumentException(
                        "a stored key hash looks like sha256:<salt>:<hex>");
            }
            return new Stored(HexFormat.of().parseHex(parts[1]), HexFormat.of().parseHex(parts[2]));
        }

        boolean matches(String secret) {
            return MessageDigest.isEqual(ApiKeys.digest(salt, secret), digest);
        }

        static final byte[] NO_SALT = new byte[0];
    }

    /** An entry with its hashes parsed. */
    private record Key(Entry entry, Stored key, @Nullable Stored token) {}

    private final List<Key> keys;

    /**
     * The keys a secret was already checked against, by the secret's unsalted digest: each key has
     * a salt of its own, so finding a key checked the secret against every key in turn, a digest
     * each, on every request (a thousand provisioned keys: a thousand digests a request). At most
     * one entry per key, since no two keys share a secret; a secret that matched none is not kept,
     * so unknown ones cannot grow it. Digests only: secrets are never kept.
     */
    private final Map<String, Key> verified = new ConcurrentHashMap<>();

    /**
     * Unsalted digests of secrets that matched no key: a client retrying a revoked or mistyped key
     * in a loop cost a digest per provisioned key per request, before any workspace's rate limit
     * (it names no workspace); now one. Forgotten all at once past {@link #REFUSED_HELD}, so a
     * stream of made-up secrets cannot grow it (each still costs what it did).
     */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();

    static final int REFUSED_HELD = 10_000;

    /** The salted comparisons made so far (a secret against one key's stored digest). */
    private final AtomicLong comparisons = new AtomicLong();

    public ApiKeys(List<Entry> entries) {
        this.keys =
                entries.stream()
                        .map(
                                e ->
                                        new Key(
                                                e,
                                                Stored.parse(e.keyHash()),
                                                e.tokenHash() == null
                                                        ? null
                                                        : Stored.parse(e.tokenHash())))
                        .toList();
    }

    /** Hashes a secret with a fresh random salt. */
    public static String hash(String secret) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return "sha256:"
                + HexFormat.of().formatHex(salt)
                + ":"
                + HexFormat.of().formatHex(digest(salt, secret));
    }

    private static byte[] digest(byte[] salt, String secret) {
        MessageDigest md = SHA_256.get();
        md.reset();
        md.update(salt);
        md.update(secret.getBytes(StandardCharsets.UTF_8));
        return md.digest();
    }

    private Optional<Key> find(String apiKey) {
        String k = apiKey.trim();
        String fingerprint = HexFormat.of().formatHex(digest(Stored.NO_SALT, k));
        Key known = verified.get(fingerprint);
        if (known != null) {
            return Optional.of(known);
        }
        if (refused.contains(fingerprint)) {
            return Optional.empty(); // the keys are fixed for this instance's life
        }
        for (Key key : keys) {
            comparisons.incrementAndGet();
            if (key.key().matches(k)) {
                verified.put(fingerprint, key);
                return Optional.of(key);
            }
        }
        if (refused.size() >= REFUSED_HELD) {
            refused.clear();
        }
        refused.add(fingerprint);
        return Optional.empty();
    }

    /** How many refused secrets' digests are remembered. */
    int refusedHeld() {
        return refused.size();
    }

    /** The salted comparisons made so far: one per provisioned key for a secret seen first. */
    long comparisons() {
        return comparisons.get();
    }

    /**
     * Checks a bare key, as the segmentation API sends it ({@code k} or {@code X-Api-Key}): the key
     * alone names its workspace, so there is no org header and no bearer token. 401 when missing or
     * unknown.
     */
    public Outcome authenticateKey(@Nullable String apiKey) {
        if (apiKey == null || apiKey.isBlank()) {
            return new Outcome.Rejected(
                    401,
                    "missing_api_key",
                    "an API key is required: the k query parameter or the X-Api-Key header");
        }
        Optional<Key> found = find(apiKey);
        if (found.isEmpty()) {
            return new Outcome.Rejected(401, "invalid_api_key", "the API key is not valid");
        }
        Entry e = found.get().entry();
        return new Outcome.Authenticated(
                new Principal(
                        e.name(), e.org(), e.ownerId(), e.ownerName(), e.ownerLogin(), e.role()));
    }

    /**
     * Checks Adobe-style credentials: {@code x-api-key}, {@code Authorization: Bearer} and the org
     * header. 401 for missing or wrong credentials, 403 when the key belongs to another org.
     */
    public Outcome authenticate(
            @Nullable String apiKey, @Nullable String authorization, @Nullable String org) {
        if (apiKey == null || apiKey.isBlank()) {
            return new Outcome.Rejected(401, "missing_api_key", "the x-api-key header is required");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return new Outcome.Rejected(
                    401, "missing_token", "the Authorization: Bearer <token> header is required");
        }
        String token = authorization.substring(7).trim();
        Optional<Key> found = find(apiKey);
        if (found.isEmpty()) {
            return new Outcome.Rejected(401, "invalid_api_key", "the API key is not valid");
        }
        Entry e = found.get().entry();
        Stored tokenHash = found.get().token();
        boolean tokenOk =
                tokenHash == null ? token.equals(apiKey.trim()) : tokenHash.matches(token);
        if (!tokenOk) {
            return new Outcome.Rejected(401, "invalid_token", "the bearer token is not valid");
        }
        if (org == null || org.isBlank()) {
            return new Outcome.Rejected(
                    401, "missing_org", "the x-gw-ims-org-id header is required");
        }
        if (!org.trim().equals(e.org())) {
            return new Outcome.Rejected(
                    403, "forbidden_org", "this API key cannot access the org " + org.trim());
        }
        return new Outcome.Authenticated(
                new Principal(
                        e.name(), e.org(), e.ownerId(), e.ownerName(), e.ownerLogin(), e.role()));
    }
}
