package io.cohortflow.job;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.api.bridge.java.StreamStatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.jspecify.annotations.Nullable;

/**
 * Rows written as files of a Table API format ({@code csv}, {@code parquet}, {@code json}, ...)
 * through the filesystem connector, the insert attached to the rows' own graph so that it runs with
 * the rest of the job: the one way the backfill and the members export write tables.
 */
public final class FileTables {
    private FileTables() {}

    /**
     * @param table a name for the temporary table
     * @param columns the table's columns in SQL, in the rows' order (e.g. {@code user_id STRING})
     * @param partitionedBy columns to partition the files by, Hive-style, or null
     */
    public static void insert(
            DataStream<Row> rows,
            String table,
            String columns,
            @Nullable String partitionedBy,
            String dir,
            String format) {
        StreamTableEnvironment tables =
                StreamTableEnvironment.create(rows.getExecutionEnvironment());
        tables.executeSql(
                "CREATE TEMPORARY TABLE "
                        + table
                        + " ("
                        + columns
                        + ")"
                        + (partitionedBy == null ? "" : " PARTITIONED BY (" + partitionedBy + ")")
                        + " WITH ('connector' = 'filesystem', 'path' = '"
                        + dir.replace("'", "''")
                        + "', 'format' = '"
                        + format.replace("'", "''")
                        + "')");
        StreamStatementSet set = tables.createStatementSet();
        set.addInsert(table, tables.fromDataStream(rows));
        set.attachAsDataStream();
    }
}
