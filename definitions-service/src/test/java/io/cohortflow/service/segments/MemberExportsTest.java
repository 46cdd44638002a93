package io.cohortflow.service.segments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.service.ServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paging while the export command's prune deletes the export: a part file listed but gone when read
 * (a link to nowhere stands in for the deletion between listing and reading) is the export gone, as
 * the prune's comment promises (invalid_cursor, or no_export without a cursor), not a 500.
 */
class MemberExportsTest {
    @TempDir Path dir;

    private static String member(String user) throws Exception {
        return Json.MAPPER.writeValueAsString(
                new MembersExport.Member("acme", user, "s1", "2026-12-01T00:00:00Z", 2));
    }

    private MemberExports exportBeingPruned() throws Exception {
        String id = "20261203T000000000Z";
        Path export = dir.resolve(id);
        Path seg = MembersExport.segmentDir(export, "acme", "s1");
        Files.createDirectories(seg);
        Files.writeString(seg.resolve("part-0.jsonl"), member("u1") + "\n" + member("u2") + "\n");
        Files.createSymbolicLink(seg.resolve("part-1.jsonl"), seg.resolve("deleted.jsonl"));
        Files.write(
                export.resolve(MembersExport.MANIFEST),
                Json.bytes(
                        new MembersExport(
                                id,
                                "2026-12-03T00:00:01Z",
                                "/data/savepoints/savepoint-1",
                                "2026-12-03T00:00:00Z",
                                MembersExport.JSON_LINES,
                                "acme",
                                null,
                                10,
                                3,
                                100)));
        return new MemberExports(dir);
    }

    @Test
    void a_cursor_into_an_export_deleted_while_read_is_an_invalid_cursor() throws Exception {
        MemberExports exports = exportBeingPruned();
        MemberExports.Page first = exports.page("acme", "s1", 1, null);
        assertThat(first.members()).hasSize(1);
        assertThat(first.next()).isNotNull();
        ServiceException e =
                catchThrowableOfType(
                        ServiceException.class, () -> exports.page("acme", "s1", 10, first.next()));
        assertThat(e).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.code()).isEqualTo("invalid_cursor");
        assertThat(e.getMessage()).contains("start again without a cursor");
    }

    @Test
    void without_a_cursor_an_export_deleted_while_read_is_no_export() throws Exception {
        MemberExports exports = exportBeingPruned();
        ServiceException e =
                catchThrowableOfType(
                        ServiceException.class, () -> exports.page("acme", "s1", 10, null));
        assertThat(e).isNotNull();
        assertThat(e.status()).isEqualTo(404);
        assertThat(e.code()).isEqualTo("no_export");
    }
}
