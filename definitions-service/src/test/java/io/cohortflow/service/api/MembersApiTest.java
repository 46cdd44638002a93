package io.cohortflow.service.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.MembersExport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /segments/{id}/members} over exports written here as the export command writes them
 * (the export itself is tested on the job: {@code MembersExportTest}).
 */
class MembersApiTest {
    static TestApp t;
    static Http alice;
    static Http eve;

    @BeforeAll
    static void start() {
        t = new TestApp();
        alice = t.as("alice");
        eve = t.as("eve");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    private static String create(String name) {
        Http.Response r = alice.post("/segments", Defs.body(name, Defs.mobile()));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    /** An export of {@code segments} ({@code null}: all) with the given files per segment. */
    private static void export(
            String id, String format, List<String> segments, String segment, String... files)
            throws Exception {
        Path dir = t.exportDir.resolve(id);
        Path seg = MembersExport.segmentDir(dir, "acme", segment);
        Files.createDirectories(seg);
        for (int i = 0; i < files.length; i++) {
            Files.writeString(seg.resolve("part-" + i + "." + format), files[i]);
        }
        MembersExport m =
                new MembersExport(
                        id,
                        "2026-12-03T00:00:01Z",
                        "/data/savepoints/savepoint-1",
                        "2026-12-03T00:00:00Z",
                        format,
                        "acme",
                        segments,
                        10,
                        5,
                        100);
        Files.write(dir.resolve(MembersExport.MANIFEST), Json.bytes(m));
    }

    private static String member(String segment, String user) throws Exception {
        return Json.MAPPER.writeValueAsString(
                new MembersExport.Member("acme", user, segment, "2026-12-01T00:00:00Z", 2));
    }

    @Test
    void pages_over_the_newest_export_that_covers_the_segment() throws Exception {
        String id = create("Exported");
        assertThat(alice.get("/segments/" + id + "/members").status()).isEqualTo(404);
        assertThat(alice.get("/segments/" + id + "/members").json().get("errorCode").asText())
                .isEqualTo("no_export");

        export(
                "20261203T000000000Z",
                MembersExport.JSON_LINES,
                null,
                id,
                member(id, "u1") + "\n" + member(id, "u2") + "\n" + member(id, "u3") + "\n",
                member(id, "u4") + "\n" + member(id, "u5") + "\n");
        // A newer export of another segment only, and a newer Parquet export of everything (for a
        // warehouse, not paged): the older one still answers for this one.
        export("20261203T000001000Z", MembersExport.CSV, List.of("other"), "other");
        export("20261203T000009000Z", MembersExport.PARQUET, null, "nothing-pageable");

        List<String> users = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Http.Response r =
                    alice.get(
                            "/segments/"
                                    + id
                                    + "/members?limit=2"
                                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            JsonNode page = r.json();
            assertThat(page.at("/export/id").asText()).isEqualTo("20261203T000000000Z");
            assertThat(page.at("/export/asOf").asText()).isEqualTo("2026-12-03T00:00:00Z");
            page.get("members").forEach(m -> users.add(m.get("userId").asText()));
            assertThat(page.get("members").get(0).get("version").asLong()).isEqualTo(2);
            cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(users).containsExactly("u1", "u2", "u3", "u4", "u5");
        assertThat(pages).isEqualTo(3);

        assertThat(
                        alice.get("/segments/" + id + "/members?cursor=bm9wZQ")
                                .json()
                                .get("errorCode")
                                .asText())
                .isEqualTo("invalid_cursor");
        // A cursor of this segment's pages, given for another segment (of which that export holds
        // none).
        String second =
                alice.get("/segments/" + id + "/members?limit=2").json().get("nextCursor").asText();
        String other = create("Also exported");
        Http.Response crossed = alice.get("/segments/" + other + "/members?cursor=" + second);
        assertThat(crossed.status()).as(crossed.toString()).isEqualTo(400);
        assertThat(crossed.json().get("errorCode").asText()).isEqualTo("invalid_cursor");
        // The same cursor edited to start mid-line, or past the file's end: not one given out.
        String decoded =
                new String(
                        java.util.Base64.getUrlDecoder().decode(second),
                        java.nio.charset.StandardCharsets.UTF_8);
        String[] parts = decoded.split(":", 4);
        for (String offset :
                List.of(
                        Long.toString(Long.parseLong(parts[2]) + 1),
                        Long.toString(Long.parseLong(parts[2]) + 1_000_000))) {
            String edited =
                    java.util.Base64.getUrlEncoder()
                            .withoutPadding()
                            .encodeToString(
                                    (parts[0] + ":" + parts[1] + ":" + offset + ":" + parts[3])
                                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Http.Response r = alice.get("/segments/" + id + "/members?cursor=" + edited);
            assertThat(r.status()).as(r.toString()).isEqualTo(400);
            assertThat(r.json().get("errorCode").asText()).isEqualTo("invalid_cursor");
        }
        assertThat(alice.get("/segments/" + id + "/members?limit=0").status()).isEqualTo(400);
        // Another workspace's key sees no such segment.
        assertThat(eve.get("/segments/" + id + "/members").status()).isEqualTo(404);
    }

    @Test
    void a_csv_export_is_read_without_its_header_and_quoted_fields_come_back_whole()
            throws Exception {
        String id = create("Exported as CSV");
        MembersExport.Member odd =
                new MembersExport.Member("acme", "a,\"b\"", id, "2026-12-01T00:00:00Z", 1);
        export(
                "20261203T000002000Z",
                MembersExport.CSV,
                List.of(id),
                id,
                MembersExport.CSV_HEADER + "\n" + odd.csv() + "\n");
        JsonNode page = alice.get("/segments/" + id + "/members").json();
        assertThat(page.get("members")).hasSize(1);
        assertThat(page.get("members").get(0).get("userId").asText()).isEqualTo("a,\"b\"");
        assertThat(page.get("nextCursor").isNull()).isTrue();
        assertThat(new String(odd.csv().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
                .startsWith("\"a,\"\"b\"\"\"");
    }
}
