package io.cohortflow.job.export;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.job.FileTables;
import java.nio.file.Path;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;

/**
 * Members as Parquet through the Table API, partitioned Hive-style by workspace and segment (see
 * {@link MembersExport#PARQUET}); the insert is attached to the export's own graph.
 */
final class MemberTable {
    private MemberTable() {}

    static void write(DataStream<MemberLine> jsonLines, Path dir) {
        TypeInformation<Row> type =
                Types.ROW_NAMED(
                        new String[] {
                            "user_id", "entered_at", "version", "workspace", "segment_id"
                        },
                        Types.STRING,
                        Types.STRING,
                        Types.LONG,
                        Types.STRING,
                        Types.STRING);
        DataStream<Row> rows =
                jsonLines
                        .map(
                                l -> {
                                    MembersExport.Member m =
                                            Json.MAPPER.readValue(
                                                    l.line, MembersExport.Member.class);
                                    return Row.of(
                                            m.userId(),
                                            m.enteredAt(),
                                            m.version(),
                                            m.workspace(),
                                            m.segmentId());
                                })
                        .returns(type)
                        .name("Members as rows");
        FileTables.insert(
                rows,
                "members_out",
                "user_id STRING, entered_at STRING, version BIGINT, workspace STRING,"
                        + " segment_id STRING",
                "workspace, segment_id",
                dir.toUri().toString(),
                MembersExport.PARQUET);
    }
}
