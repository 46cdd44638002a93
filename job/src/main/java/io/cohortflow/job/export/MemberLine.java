package io.cohortflow.job.export;

/** One exported member: the line to write and the bucket (workspace/segment) it goes to. */
public class MemberLine {
    public String bucket = "";
    public String line = "";

    public MemberLine() {}

    public MemberLine(String bucket, String line) {
        this.bucket = bucket;
        this.line = line;
    }
}
