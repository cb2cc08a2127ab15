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
 * Sends a TRUNCATE of a table whose changes are spread to every place they are spread over. Debezium sends a TRUNCATE
 * without a key, so Kafka would put it into one partition while the table's rows are spread over all of them by key;
 * the sink could then apply it before or after rows written on either side of it on the source. Each copy carries
 * the header {@value #HEADER} with the number of copies in all; the sink applies the TRUNCATE once every copy has
 * been reached (sink-timescale's {@code TruncateBarriers}). Two kinds of spreading, which combine:
 * <ul>
 *   <li>a topic with several partitions ({@code tsmigrate start --topic-partitions}): {@value #TOPICS}, a regular
 *       expression of such topics, and {@value #PARTITIONS}, how many partitions they have; a copy per partition;</li>
 *   <li>a table split over several source streams by key (the bootstrap's {@code --split-table}): {@value #SPLIT_TOPICS},
 *       this stream's topics of such tables, {@value #SPLIT_STREAMS}, how many streams, and {@value #SPLIT_STREAM},
 *       which one this is. Every stream decodes the same TRUNCATE, so each sends its copies with the headers
 *       {@value #GROUP_HEADER} (the table, the same on every stream) and {@value #COPY_HEADER} (which copy of all
 *       streams' this is).</li>
 * </ul>
 * Called on the task's polling thread only.
 */
final class TruncateCopies {

    static final String TOPICS = "tsmigrate.spread.topics";
    static final String PARTITIONS = "tsmigrate.spread.partitions";
    static final String SPLIT_TOPICS = "tsmigrate.split.topics";
    static final String SPLIT_STREAMS = "tsmigrate.split.streams";
    static final String SPLIT_STREAM = "tsmigrate.split.stream";
    static final String HEADER = "tsmigrate.truncate.partitions";
    static final String GROUP_HEADER = "tsmigrate.truncate.group";
    static final String COPY_HEADER = "tsmigrate.truncate.copy";

    private final Pattern topics;
    private final int partitions;
    private final Pattern splitTopics;
    private final int streams;
    private final int stream;

    TruncateCopies(Map<String, String> config) {
        this.topics = pattern(config.get(TOPICS));
        this.partitions = Integer.parseInt(config.getOrDefault(PARTITIONS, "1").trim());
        this.splitTopics = pattern(config.get(SPLIT_TOPICS));
        this.streams = Integer.parseInt(config.getOrDefault(SPLIT_STREAMS, "1").trim());
        this.stream = Integer.parseInt(config.getOrDefault(SPLIT_STREAM, "1").trim());
        if (splitTopics != null && (streams < 2 || stream < 1 || stream > streams)) {
            throw new IllegalArgumentException(SPLIT_STREAM + " must be 1 to " + SPLIT_STREAMS + " (at least 2), not " + stream + " of " + streams);
        }
    }

    private static Pattern pattern(String regex) {
        return regex == null || regex.isBlank() ? null : Pattern.compile(regex);
    }

    List<SourceRecord> apply(List<SourceRecord> records) {
        if (records == null || (topics == null || partitions <= 1) && splitTopics == null) {
            return records;
        }
        List<SourceRecord> out = null;
        for (int i = 0; i < records.size(); i++) {
            SourceRecord r = records.get(i);
            boolean truncate = isTruncate(r);
            int spread = truncate && topics != null && partitions > 1 && topics.matcher(r.topic()).matches() ? partitions : 1;
            boolean split = truncate && splitTopics != null && splitTopics.matcher(r.topic()).matches();
            if (spread == 1 && !split) {
                if (out != null) {
                    out.add(r);
                }
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(records.subList(0, i));
            }
            for (int p = 0; p < spread; p++) {
                ConnectHeaders headers = new ConnectHeaders();
                for (Header h : r.headers()) {
                    headers.add(h);
                }
                if (split) {
                    Struct source = ((Struct) r.value()).getStruct("source");
                    headers.addString(HEADER, Integer.toString(spread * streams));
                    headers.addString(GROUP_HEADER, source.getString("schema") + "." + source.getString("table"));
                    headers.addString(COPY_HEADER, Integer.toString((stream - 1) * spread + p));
                } else {
                    headers.addString(HEADER, Integer.toString(spread));
                }
                out.add(new SourceRecord(r.sourcePartition(), r.sourceOffset(), r.topic(), spread > 1 ? Integer.valueOf(p) : r.kafkaPartition(),
                        r.keySchema(), r.key(), r.valueSchema(), r.value(), r.timestamp(), headers));
            }
        }
        return out == null ? records : out;
    }

    private static boolean isTruncate(SourceRecord r) {
        return r.value() instanceof Struct v && v.schema().field("op") != null && "t".equals(v.getString("op"));
    }
}
