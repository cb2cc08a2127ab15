package io.tsmigrate.source;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Sends a TRUNCATE of a table whose change topic has several partitions to every one of them. Debezium sends a
 * TRUNCATE without a key, so Kafka would put it into one partition while the table's rows are spread over all of them
 * by key; the sink could then apply it before or after rows written on either side of it on the source. Each copy
 * carries the header {@value #HEADER} with the partition count; the sink applies the TRUNCATE once every partition
 * has reached its copy (sink-timescale's {@code TruncateBarriers}). Settings (from the connector's configuration, set
 * by {@code tsmigrate start --topic-partitions}): {@value #TOPICS}, a regular expression of the topics spread over
 * partitions, and {@value #PARTITIONS}, how many partitions they have. Called on the task's polling thread only.
 */
final class TruncateCopies {

    static final String TOPICS = "tsmigrate.spread.topics";
    static final String PARTITIONS = "tsmigrate.spread.partitions";
    static final String HEADER = "tsmigrate.truncate.partitions";

    private final Pattern topics;
    private final int partitions;

    TruncateCopies(Map<String, String> config) {
        String regex = config.get(TOPICS);
        int n = Integer.parseInt(config.getOrDefault(PARTITIONS, "1").trim());
        this.topics = regex == null || regex.isBlank() || n <= 1 ? null : Pattern.compile(regex);
        this.partitions = n;
    }

    List<SourceRecord> apply(List<SourceRecord> records) {
        if (records == null || topics == null) {
            return records;
        }
        List<SourceRecord> out = null;
        for (int i = 0; i < records.size(); i++) {
            SourceRecord r = records.get(i);
            if (!isTruncate(r) || !topics.matcher(r.topic()).matches()) {
                if (out != null) {
                    out.add(r);
                }
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(records.subList(0, i));
            }
            for (int p = 0; p < partitions; p++) {
                ConnectHeaders headers = new ConnectHeaders();
                for (Header h : r.headers()) {
                    headers.add(h);
                }
                headers.addString(HEADER, Integer.toString(partitions));
                out.add(new SourceRecord(r.sourcePartition(), r.sourceOffset(), r.topic(), p, r.keySchema(), r.key(), r.valueSchema(), r.value(),
                        r.timestamp(), headers));
            }
        }
        return out == null ? records : out;
    }

    private static boolean isTruncate(SourceRecord r) {
        return r.value() instanceof Struct v && v.schema().field("op") != null && "t".equals(v.getString("op"));
    }
}
