package io.cohortflow.job.export;

import io.cohortflow.core.contract.MembersExport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;

/**
 * Members as lines of text, CSV or JSON lines, in files by segment; Parquet goes through {@link
 * MemberTable}.
 */
final class MemberFiles {
    private MemberFiles() {}

    /** Member files by segment: {@code <workspace>/<segment>/part-*.<format>}. */
    static FileSink<MemberLine> sink(Path dir, String format) {
        boolean csv = format.equals(MembersExport.CSV);
        BulkWriter.Factory<MemberLine> lines =
                out ->
                        new BulkWriter<>() {
                            private boolean header = csv;

                            @Override
                            public void addElement(MemberLine m) throws IOException {
                                if (header) {
                                    out.write(
                                            (MembersExport.CSV_HEADER + "\n")
                                                    .getBytes(StandardCharsets.UTF_8));
                                    header = false;
                                }
                                out.write(m.line.getBytes(StandardCharsets.UTF_8));
                                out.write('\n');
                            }

                            @Override
                            public void flush() throws IOException {
                                out.flush();
                            }

                            @Override
                            public void finish() throws IOException {
                                flush();
                            }
                        };
        return FileSink.forBulkFormat(new org.apache.flink.core.fs.Path(dir.toUri()), lines)
                .withBucketAssigner(new BySegment())
                .withOutputFileConfig(
                        OutputFileConfig.builder()
                                .withPartPrefix("part")
                                .withPartSuffix("." + format)
                                .build())
                .build();
    }

    /** The bucket a member line names (see {@link MembersExport#bucket}). */
    static final class BySegment implements BucketAssigner<MemberLine, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getBucketId(MemberLine m, Context context) {
            return m.bucket;
        }

        @Override
        public SimpleVersionedSerializer<String> getSerializer() {
            return SimpleVersionedStringSerializer.INSTANCE;
        }
    }
}
