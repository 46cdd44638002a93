package io.cohortflow.service.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
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
    private final List<Entry> entries;

    public ApiKeys(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Hashes a secret with a fresh random salt. */
    public static String hash(String secret) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return "sha256:" + HexFormat.of().formatHex(salt) + ":" + digestHex(salt, secret);
    }

    static boolean matches(String stored, String secret) {
        String[] parts = stored.split(":");
        if (parts.length != 3 || !parts[0].equals("sha256")) {
            throw new IllegalArgumentException("a stored key hash looks like sha256:<salt>:<hex>");
        }
        byte[] salt = HexFormat.of().parseHex(parts[1]);
        return MessageDigest.isEqual(
                digestHex(salt, secret).getBytes(StandardCharsets.US_ASCII),
                parts[2].toLowerCase().getBytes(StandardCharsets.US_ASCII));
    }

    private static String digestHex(byte[] salt, String secret) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(salt);
            md.update(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
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
        Optional<Entry> found =
                entries.stream().filter(e -> matches(e.keyHash(), apiKey.trim())).findFirst();
        if (found.isEmpty()) {
            return new Outcome.Rejected(401, "invalid_api_key", "the API key is not valid");
        }
        Entry e = found.get();
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
        Optional<Entry> found =
                entries.stream().filter(e -> matches(e.keyHash(), apiKey.trim())).findFirst();
        if (found.isEmpty()) {
            return new Outcome.Rejected(401, "invalid_api_key", "the API key is not valid");
        }
        Entry e = found.get();
        boolean tokenOk =
                e.tokenHash() == null ? token.equals(apiKey.trim()) : matches(e.tokenHash(), token);
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
