package io.cohortflow.job.backfill;

import io.cohortflow.core.event.EventLimits;
import io.cohortflow.job.kafka.InboundParser;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.compression.StandardDeCompressors;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.IteratorResultIterator;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.jspecify.annotations.Nullable;

/**
 * JSON lines files, plain or compressed (by extension: {@code .gz}, {@code .bz2}, {@code .xz},
 * {@code .deflate}), one record per non-blank line. A line is the bytes up to a {@code \n}, handed
 * to the parser as they are, as a topic's value would be: bytes that are not UTF-8 are the parser's
 * {@code malformed_json}, as on the stream (a reader decoding text replaced them and counted a user
 * the stream never had), and a bare {@code \r}, whitespace to JSON, ends no line. A bulk format
 * rather than a stream format because the parser needs the file's path: a malformed line is
 * dead-lettered as {@code file:line}, so whoever wrote the file can find it. Files are not split
 * (compressed ones cannot be, and line numbers need the whole file).
 */
public final class JsonLinesFormat<T> implements BulkFormat<T, FileSourceSplit> {
    private static final long serialVersionUID = 1L;
    private static final int BATCH = 512;

    /** Turns one line into a record; never throws (bad input must not fail the job). */
    @FunctionalInterface
    public interface LineParser<T> extends Serializable {
        T parse(String file, long line, byte[] value);
    }

    private final LineParser<T> parser;
    private final TypeInformation<T> type;

    public JsonLinesFormat(LineParser<T> parser, TypeInformation<T> type) {
        this.parser = parser;
        this.type = type;
    }

    /** Event envelopes, exactly as on the events topic, within the default event limits. */
    public static JsonLinesFormat<Inbound> events() {
        return events(EventLimits.DEFAULT);
    }

    /** Event envelopes, exactly as on the events topic. */
    public static JsonLinesFormat<Inbound> events(EventLimits limits) {
        return new JsonLinesFormat<>(
                (file, line, value) ->
                        InboundParser.parse(null, value, file, 0, line, Long.MIN_VALUE, limits),
                TypeInformation.of(Inbound.class));
    }

    /** Segment records, exactly as on the definitions topic; line order is log order. */
    public static JsonLinesFormat<DefinitionUpdate> definitions() {
        return new JsonLinesFormat<>(
                (file, line, value) -> new DefinitionUpdate(file + ":" + line, value, line),
                TypeInformation.of(DefinitionUpdate.class));
    }

    /** What {@link #readAll} hands each record to; it may refuse one by throwing. */
    @FunctionalInterface
    public interface RecordConsumer<T> {
        void accept(T record) throws Exception;
    }

    /**
     * Every record of {@code file}, in order, as a source of this format reads them (the same
     * lines, the same numbers): for a check before a run starts. One file: a directory cannot be
     * read as one, and is an {@link IOException} naming it.
     */
    public void readAll(String file, RecordConsumer<T> each) throws Exception {
        Path path = new Path(file);
        FileStatus status = path.getFileSystem().getFileStatus(path);
        FileSourceSplit split =
                new FileSourceSplit(
                        "check",
                        path,
                        0,
                        status.getLen(),
                        status.getModificationTime(),
                        status.getLen());
        try (LineReader<T> reader = new LineReader<>(parser, split, 0)) {
            RecordIterator<T> batch;
            while ((batch = reader.readBatch()) != null) {
                RecordAndPosition<T> r;
                while ((r = batch.next()) != null) {
                    each.accept(r.getRecord());
                }
                batch.releaseBatch();
            }
        }
    }

    @Override
    public Reader<T> createReader(Configuration config, FileSourceSplit split) throws IOException {
        return new LineReader<>(parser, split, 0);
    }

    @Override
    public Reader<T> restoreReader(Configuration config, FileSourceSplit split) throws IOException {
        long done =
                split.getReaderPosition()
                        .map(CheckpointedPosition::getRecordsAfterOffset)
                        .orElse(0L);
        return new LineReader<>(parser, split, done);
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return type;
    }

    private static final class LineReader<T> implements Reader<T> {
        private final LineParser<T> parser;
        private final String file;
        private final InputStream in;
        private final byte[] buffer = new byte[1 << 16];
        private int at;
        private int end;
        private long line; // lines read, blank ones included: records name their line
        private long records; // records emitted: the position a restore skips to

        LineReader(LineParser<T> parser, FileSourceSplit split, long skip) throws IOException {
            this.parser = parser;
            this.file = split.path().toString();
            try {
                FileSystem fs = split.path().getFileSystem();
                FSDataInputStream raw = fs.open(split.path());
                var decompressor = StandardDeCompressors.getDecompressorForFileName(file);
                InputStream stream = decompressor == null ? raw : decompressor.create(raw);
                this.in = stream;
            } catch (IOException e) {
                throw unreadable(e);
            }
            while (records < skip && nextLine() != null) {
                records++;
            }
        }

        /** The next line that is not blank, without its {@code \n}; null at the end. */
        private byte @Nullable [] nextLine() throws IOException {
            byte[] s;
            try {
                do {
                    s = rawLine();
                    line++;
                } while (s != null && blank(s));
            } catch (IOException e) {
                throw unreadable(e);
            }
            return s;
        }

        private byte @Nullable [] rawLine() throws IOException {
            java.io.ByteArrayOutputStream longer = null; // a line past the buffer's end
            while (true) {
                if (at == end) {
                    int n = in.read(buffer, 0, buffer.length);
                    if (n <= 0) {
                        return longer == null ? null : longer.toByteArray();
                    }
                    at = 0;
                    end = n;
                }
                int nl = at;
                while (nl < end && buffer[nl] != '\n') {
                    nl++;
                }
                if (nl < end) {
                    byte[] part = java.util.Arrays.copyOfRange(buffer, at, nl);
                    at = nl + 1;
                    if (longer == null) {
                        return part;
                    }
                    longer.write(part);
                    return longer.toByteArray();
                }
                if (longer == null) {
                    longer = new java.io.ByteArrayOutputStream();
                }
                longer.write(buffer, at, end - at);
                at = end;
            }
        }

        /** Only JSON's whitespace (a CRLF file's blank lines hold a {@code \r}). */
        private static boolean blank(byte[] line) {
            for (byte b : line) {
                if (b != ' ' && b != '\t' && b != '\r') {
                    return false;
                }
            }
            return true;
        }

        /**
         * {@code e} naming the file (and line): a corrupt archive's "Not in GZIP format" alone,
         * deep in a failed run's causes, left the user to guess which of a directory's files it
         * was.
         */
        private IOException unreadable(IOException e) {
            return new IOException(
                    "cannot read "
                            + file
                            + (line == 0 ? "" : " at line " + line)
                            + ": "
                            + e.getMessage(),
                    e);
        }

        @Nullable
        @Override
        public RecordIterator<T> readBatch() throws IOException {
            List<T> batch = new ArrayList<>(BATCH);
            long first = records;
            byte[] s;
            while (batch.size() < BATCH && (s = nextLine()) != null) {
                batch.add(parser.parse(file, line, s));
                records++;
            }
            if (batch.isEmpty()) {
                return null;
            }
            return new IteratorResultIterator<>(
                    batch.iterator(), CheckpointedPosition.NO_OFFSET, first);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
