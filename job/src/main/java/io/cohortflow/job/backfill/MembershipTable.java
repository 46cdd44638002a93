package io.cohortflow.job.backfill;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.MembershipRecord;
import io.cohortflow.job.FileTables;
import io.cohortflow.job.model.KafkaMessage;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.types.Row;

/**
 * Membership records written through the Table API as a file table of another format ({@code csv},
 * {@code parquet}, {@code json}): columns {@code workspace, user_id, segment_id, change, time,
 * version}, as the memberships topic's records hold them. The insert is attached to the job's own
 * graph, so it runs with the rest of the backfill.
 */
final class MembershipTable {
    static final String[] COLUMNS = {
        "workspace", "user_id", "segment_id", "change", "time", "version"
    };

    private MembershipTable() {}

    static void write(DataStream<KafkaMessage> memberships, String dir, String format) {
        TypeInformation<Row> type =
                Types.ROW_NAMED(
                        COLUMNS,
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.LONG);
        DataStream<Row> rows =
                memberships
                        .map(
                                m -> {
                                    MembershipRecord r = Json.read(m.value, MembershipRecord.class);
                                    return Row.of(
                                            r.workspace(),
                                            r.userId(),
                                            r.segmentId(),
                                            r.change(),
                                            r.time(),
                                            r.version());
                                })
                        .returns(type)
                        .name("Memberships as rows");
        FileTables.insert(
                rows,
                "memberships_out",
                "workspace STRING, user_id STRING, segment_id STRING, change STRING,"
                        + " `time` STRING, version BIGINT",
                null,
                dir,
                format);
    }
}
