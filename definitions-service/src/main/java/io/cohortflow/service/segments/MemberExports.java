package io.cohortflow.service.segments;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.service.ServiceException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The members of a segment as the newest members export that covers it holds them ({@link
 * MembersExport}: written by {@code cohortflow export-members} under the exports directory), in
 * pages. A cursor names the export, the file and the byte offset it stopped at, so each page costs
 * its own lines whatever the segment's size, and a later export does not shift a client paging
 * through an earlier one.
 */
public final class MemberExports {
    private final Path dir;

    /** One page: the export it came from, the members, and the cursor of the next page. */
    public record Page(
            MembersExport export, List<MembersExport.Member> members, @Nullable String next) {}

    public MemberExports(Path dir) {
        this.dir = dir;
    }

    public Page page(String workspace, String segment, int limit, @Nullable String cursor) {
        Cursor at = cursor == null ? null : Cursor.decode(cursor);
        if (at != null && !at.segment().equals(Keys.of(workspace, segment))) {
            // Its file and offset are another segment's: read here they would skip or cut lines.
            throw ServiceException.badRequest(
                    "invalid_cursor", "this cursor pages over another segment's members");
        }
        try {
            return read(workspace, segment, limit, at, cursor);
        } catch (Gone e) {
            if (at != null) {
                throw cursorGone();
            }
        }
        // The newest export was pruned while read: a newer complete one replaced it.
        try {
            return read(workspace, segment, limit, null, null);
        } catch (Gone e) {
            throw new ServiceException(
                    404,
                    "no_export",
                    "no members export covering segment "
                            + segment
                            + " could be read: the exports were being replaced; try again");
        }
    }

    private static ServiceException cursorGone() {
        return ServiceException.badRequest(
                "invalid_cursor",
                "the export this cursor pages over is gone (a newer export replaced it);"
                        + " start again without a cursor");
    }

    /**
     * An export deleted (by the export command's prune) while this request read it: its manifest
     * goes first, then its files, so a file or the manifest not found, or the manifest gone once
     * the page is read (the files listed may have been incomplete), all say so.
     */
    private static final class Gone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Gone() {
            super(null, null, false, false);
        }
    }

    private Page read(
            String workspace,
            String segment,
            int limit,
            @Nullable Cursor at,
            @Nullable String cursor) {
        try {
            Path export =
                    at == null ? newestCovering(workspace, segment) : dir.resolve(at.export());
            if (at != null && !Files.exists(export.resolve(MembersExport.MANIFEST))) {
                throw new Gone();
            }
            Page page = read(export, workspace, segment, limit, at, cursor);
            if (!Files.exists(export.resolve(MembersExport.MANIFEST))) {
                throw new Gone();
            }
            return page;
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                throw new Gone();
            }
            throw e;
        }
    }

    private static Page read(
            Path export,
            String workspace,
            String segment,
            int limit,
            @Nullable Cursor at,
            @Nullable String cursor) {
        MembersExport manifest = manifest(export);
        List<Path> files = files(MembersExport.segmentDir(export, workspace, segment));
        boolean csv = manifest.format().equals(MembersExport.CSV);
        List<MembersExport.Member> out = new ArrayList<>();
        int file = at == null ? 0 : at.file();
        long offset = at == null ? 0 : at.offset();
        if (at != null && !atLineStart(files, file, offset)) {
            // An offset this API gave out starts a line of the file it names; any other would
            // read half a line.
            throw ServiceException.badRequest(
                    "invalid_cursor", "cursor is not one this API gave out: " + cursor);
        }
        try {
            while (file < files.size() && out.size() < limit) {
                try (FileChannel ch = FileChannel.open(files.get(file), StandardOpenOption.READ)) {
                    ch.position(offset);
                    InputStream in = new java.io.BufferedInputStream(Channels.newInputStream(ch));
                    while (out.size() < limit) {
                        byte[] line = line(in);
                        if (line == null) {
                            break;
                        }
                        long start = offset;
                        offset += line.length + 1;
                        if (csv && start == 0) {
                            continue; // the header
                        }
                        String text = new String(line, StandardCharsets.UTF_8);
                        out.add(
                                csv
                                        ? MembersExport.Member.fromCsv(workspace, text)
                                        : Json.MAPPER.readValue(text, MembersExport.Member.class));
                    }
                    if (offset >= ch.size()) {
                        file++;
                        offset = 0;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String next =
                file < files.size()
                        ? new Cursor(
                                        export.getFileName().toString(),
                                        file,
                                        offset,
                                        Keys.of(workspace, segment))
                                .encode()
                        : null;
        return new Page(manifest, out, next);
    }

    /** The newest complete export holding this segment's members. */
    private Path newestCovering(String workspace, String segment) {
        List<Path> all = MembersExport.complete(dir);
        if (all.isEmpty()) {
            throw new ServiceException(
                    404,
                    "no_export",
                    "no members export yet: run 'cohortflow export-members' (docs/exports.md)");
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            MembersExport m = manifest(all.get(i));
            if (m.pageable() && m.covers(workspace, segment)) {
                return all.get(i);
            }
        }
        throw new ServiceException(
                404,
                "no_export",
                "no members export in JSON lines or CSV covers segment "
                        + segment
                        + ": run 'cohortflow export-members --workspace "
                        + workspace
                        + " --segment "
                        + segment
                        + "' (docs/exports.md)");
    }

    private static MembersExport manifest(Path export) {
        try {
            return Json.read(
                    Files.readAllBytes(export.resolve(MembersExport.MANIFEST)),
                    MembersExport.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The segment's member files in name order (none when it had no member). */
    private static List<Path> files(Path segmentDir) {
        if (!Files.isDirectory(segmentDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(segmentDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next line's bytes without its '\n', or null at the end. */
    @Nullable
    private static byte[] line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            b.write(c);
        }
        return c == -1 && b.size() == 0 ? null : b.toByteArray();
    }

    /** Whether {@code offset} starts a line of file {@code file} (or is its end). */
    private static boolean atLineStart(List<Path> files, int file, long offset) {
        if (file >= files.size()) {
            return file == files.size() && offset == 0;
        }
        try (FileChannel ch = FileChannel.open(files.get(file), StandardOpenOption.READ)) {
            if (offset == 0 || offset == ch.size()) {
                return offset <= ch.size();
            }
            if (offset > ch.size()) {
                return false;
            }
            java.nio.ByteBuffer before = java.nio.ByteBuffer.allocate(1);
            return ch.read(before, offset - 1) == 1 && before.get(0) == '\n';
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Where a page stopped: export id, file number, byte offset, and the segment paged over (its
     * key, last: an id may hold ':'); opaque to clients.
     */
    record Cursor(String export, int file, long offset, String segment) {
        String encode() {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(
                            (export + ":" + file + ":" + offset + ":" + segment)
                                    .getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String s) {
            try {
                String[] p =
                        new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8)
                                .split(":", 4);
                Cursor c = new Cursor(p[0], Integer.parseInt(p[1]), Long.parseLong(p[2]), p[3]);
                if (c.file < 0 || c.offset < 0 || !c.export.matches("[0-9TZ]+")) {
                    throw new IllegalArgumentException();
                }
                return c;
            } catch (RuntimeException e) {
                throw ServiceException.badRequest(
                        "invalid_cursor", "cursor is not one this API gave out: " + s);
            }
        }
    }
}
