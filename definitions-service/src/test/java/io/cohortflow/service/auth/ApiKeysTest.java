package io.cohortflow.service.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keys each stored with a salt of their own: every secret finds its own key, whatever the order it
 * is presented in or how often; a secret is checked against every key only the first time it is
 * seen; an unknown secret matches nothing, however often it comes, and is never remembered.
 */
class ApiKeysTest {
    private static final int KEYS = 200;

    private static List<ApiKeys.Entry> entries() {
        List<ApiKeys.Entry> out = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            out.add(
                    new ApiKeys.Entry(
                            "key-" + i,
                            ApiKeys.hash("secret-" + i),
                            i % 2 == 0 ? null : ApiKeys.hash("token-" + i),
                            "org-" + (i % 7),
                            i,
                            "owner " + i,
                            "owner" + i,
                            Role.values()[i % 3]));
        }
        return out;
    }

    private static String keyNameOf(ApiKeys.Outcome o) {
        assertThat(o).isInstanceOf(ApiKeys.Outcome.Authenticated.class);
        return ((ApiKeys.Outcome.Authenticated) o).principal().keyName();
    }

    @Test
    void each_secret_finds_its_own_key_and_is_compared_with_every_key_only_once() {
        ApiKeys keys = new ApiKeys(entries());
        for (int round = 0; round < 3; round++) {
            for (int i = KEYS - 1; i >= 0; i -= 3) {
                assertThat(keyNameOf(keys.authenticateKey("secret-" + i))).isEqualTo("key-" + i);
                assertThat(keyNameOf(keys.authenticateKey("  secret-" + i + " ")))
                        .isEqualTo("key-" + i);
            }
        }
        // The first sight of key i compared it with keys 0..i; every later sight compared none.
        long firstSights = 0;
        for (int i = KEYS - 1; i >= 0; i -= 3) {
            firstSights += i + 1;
        }
        assertThat(keys.comparisons()).isEqualTo(firstSights);
    }

    @Test
    void an_unknown_secret_matches_nothing_however_often_it_comes() {
        ApiKeys keys = new ApiKeys(entries());
        assertThat(keyNameOf(keys.authenticateKey("secret-5"))).isEqualTo("key-5");
        for (int round = 0; round < 3; round++) {
            ApiKeys.Outcome o = keys.authenticateKey("secret-" + KEYS);
            assertThat(o).isInstanceOf(ApiKeys.Outcome.Rejected.class);
            assertThat(((ApiKeys.Outcome.Rejected) o).code()).isEqualTo("invalid_api_key");
        }
        // The first sight of it was compared with every key; the next two with none.
        assertThat(keys.comparisons()).isEqualTo(6 + KEYS);
    }

    @Test
    void made_up_secrets_cannot_grow_what_is_remembered_of_refused_ones() {
        ApiKeys keys = new ApiKeys(entries());
        for (int i = 0; i < ApiKeys.REFUSED_HELD + 10; i++) {
            assertThat(keys.authenticateKey("made-up-" + i))
                    .isInstanceOf(ApiKeys.Outcome.Rejected.class);
        }
        assertThat(keys.refusedHeld()).isLessThanOrEqualTo(ApiKeys.REFUSED_HELD);
        assertThat(keyNameOf(keys.authenticateKey("secret-5"))).isEqualTo("key-5");
    }

    @Test
    void a_known_key_still_needs_its_token_and_its_org() {
        ApiKeys keys = new ApiKeys(entries());
        // Key 3 has a token of its own; key 4's token is the key itself.
        assertThat(keyNameOf(keys.authenticate("secret-3", "Bearer token-3", "org-3")))
                .isEqualTo("key-3");
        assertThat(keys.authenticate("secret-3", "Bearer secret-3", "org-3"))
                .isEqualTo(
                        new ApiKeys.Outcome.Rejected(
                                401, "invalid_token", "the bearer token is not valid"));
        assertThat(keyNameOf(keys.authenticate("secret-4", "Bearer secret-4", "org-4")))
                .isEqualTo("key-4");
        assertThat(keys.authenticate("secret-4", "Bearer secret-4", "org-5"))
                .isInstanceOf(ApiKeys.Outcome.Rejected.class);
        assertThat(((ApiKeys.Outcome.Rejected) keys.authenticate("secret-4", "Bearer x", "org-4")))
                .extracting(ApiKeys.Outcome.Rejected::code)
                .isEqualTo("invalid_token");
    }
}
