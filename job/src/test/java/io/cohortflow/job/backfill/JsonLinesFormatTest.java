package io.cohortflow.job.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesFormatTest {
    private static final String GOOD =
            "{\"workspace\":\"ws\",\"user_id\":\"u%d\",\"events\":[{\"name\":\"A\","
                    + "\"time\":\"2026-11-01T00:00:00Z\",\"properties\":{}}]}";

    @TempDir Path dir;

    @Test
    void gzipped_lines_parse_blank_ones_are_skipped_and_bad_ones_name_file_and_line()
            throws Exception {
        Path file = dir.resolve("h.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            String text = GOOD.formatted(1) + "\n\n" + "{not json\n" + GOOD.formatted(2) + "\n";
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        List<RecordAndPosition<Inbound>> read = read(JsonLinesFormat.events(), split(file, null));
        assertThat(read).hasSize(3);
        assertThat(read.get(0).getRecord().userId).isEqualTo("u1");
        Inbound bad = read.get(1).getRecord();
        assertThat(bad.valid()).isFalse();
        assertThat(bad.reason).isEqualTo("malformed_json");
        assertThat(bad.topic).endsWith("h.jsonl.gz");
        assertThat(bad.offset).isEqualTo(3); // line 3: line 2 is blank
        assertThat(bad.rawValue).isEqualTo("{not json");
        assertThat(read.get(2).getRecord().userId).isEqualTo("u2");
        assertThat(read.get(2).getRecord().offset).isEqualTo(4);
        // each record's position is the number of records before it and itself
        assertThat(read.get(2).getRecordSkipCount()).isEqualTo(3);
    }

    /**
     * A line is its bytes, as a topic's value is: bytes that are not UTF-8 are malformed JSON (as
     * on the stream, not a user id with U+FFFD in it), a bare CR is whitespace inside a record, and
     * CRLF files read as LF ones.
     */
    @Test
    void lines_are_bytes_as_on_the_topic() throws Exception {
        Path file = dir.resolve("h.jsonl");
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        text.write((GOOD.formatted(1) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        text.write("{\"workspace\":\"ws\",\"user_id\":\"caf".getBytes(StandardCharsets.UTF_8));
        text.write(0xE9); // Latin-1's é: not UTF-8
        text.write(GOOD.formatted(0).substring(29).getBytes(StandardCharsets.UTF_8));
        text.write('\n');
        text.write(GOOD.formatted(2).replace(",", ",\r").getBytes(StandardCharsets.UTF_8));
        Files.write(file, text.toByteArray());
        List<RecordAndPosition<Inbound>> read = read(JsonLinesFormat.events(), split(file, null));
        assertThat(read).hasSize(3);
        assertThat(read.get(0).getRecord().userId).isEqualTo("u1");
        Inbound latin = read.get(1).getRecord();
        assertThat(latin.valid()).as(latin.userId).isFalse();
        assertThat(latin.reason).isEqualTo("malformed_json");
        assertThat(latin.offset).isEqualTo(3);
        assertThat(read.get(2).getRecord().userId).isEqualTo("u2");
        assertThat(read.get(2).getRecord().offset).isEqualTo(4);
    }

    /** The compressions docs/backfill.md names, each by its extension: xz needed a codec. */
    @Test
    void xz_and_bzip2_files_are_read_as_their_extension_says() throws Exception {
        String text = GOOD.formatted(1) + "\n" + GOOD.formatted(2) + "\n";
        Path xz = dir.resolve("h.jsonl.xz");
        try (OutputStream out =
                new org.tukaani.xz.XZOutputStream(
                        Files.newOutputStream(xz), new org.tukaani.xz.LZMA2Options())) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        Path bz2 = dir.resolve("h.jsonl.bz2");
        try (OutputStream out =
                new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(
                        Files.newOutputStream(bz2))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        for (Path file : List.of(xz, bz2)) {
            assertThat(read(JsonLinesFormat.events(), split(file, null)))
                    .as(file.toString())
                    .extracting(r -> r.getRecord().userId)
                    .containsExactly("u1", "u2");
        }
    }

    @Test
    void a_restored_reader_resumes_after_the_records_already_emitted() throws Exception {
        Path file = dir.resolve("h.jsonl");
        Files.writeString(
                file, GOOD.formatted(1) + "\n\n" + GOOD.formatted(2) + "\n" + GOOD.formatted(3));
        FileSourceSplit restored =
                split(file, new CheckpointedPosition(CheckpointedPosition.NO_OFFSET, 2));
        List<RecordAndPosition<Inbound>> read = read(JsonLinesFormat.events(), restored);
        assertThat(read).extracting(r -> r.getRecord().userId).containsExactly("u3");
        assertThat(read.get(0).getRecord().offset).isEqualTo(4);
    }

    @Test
    void definitions_keep_their_line_order_as_log_order() throws Exception {
        Path file = dir.resolve("segments.jsonl");
        Files.writeString(file, "{\"a\":1}\n{\"b\":2}\n");
        List<RecordAndPosition<DefinitionUpdate>> read =
                read(JsonLinesFormat.definitions(), split(file, null));
        assertThat(read).extracting(r -> r.getRecord().offset).containsExactly(1L, 2L);
        assertThat(new String(read.get(1).getRecord().value, StandardCharsets.UTF_8))
                .isEqualTo("{\"b\":2}");
    }

    private static FileSourceSplit split(Path file, CheckpointedPosition position)
            throws Exception {
        long size = Files.size(file);
        return new FileSourceSplit(
                "0",
                new org.apache.flink.core.fs.Path(file.toUri()),
                0,
                size,
                0,
                size,
                new String[0],
                position);
    }

    private static <T> List<RecordAndPosition<T>> read(
            JsonLinesFormat<T> format, FileSourceSplit split) throws Exception {
        BulkFormat.Reader<T> reader =
                split.getReaderPosition().isPresent()
                        ? format.restoreReader(new Configuration(), split)
                        : format.createReader(new Configuration(), split);
        List<RecordAndPosition<T>> out = new ArrayList<>();
        try (reader) {
            BulkFormat.RecordIterator<T> batch;
            while ((batch = reader.readBatch()) != null) {
                RecordAndPosition<T> r;
                while ((r = batch.next()) != null) {
                    // the iterator reuses its holder: copy what the test looks at
                    out.add(
                            new RecordAndPosition<>(
                                    r.getRecord(), r.getOffset(), r.getRecordSkipCount()));
                }
                batch.releaseBatch();
            }
        }
        return out;
    }
}
