package io.tsmigrate.bootstrap;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the Debezium PostgreSQL connector needs to stream exactly the changes committed after the copied
 * snapshot. Immutable.
 *
 * @param slotName        the slot created at the snapshot's point
 * @param publicationName the publication covering the migrated tables
 * @param consistentLsn   the slot's consistent point (the snapshot's position in the WAL)
 * @param rowsCopied      rows copied by this run (0 when it only resumed a finished bootstrap)
 */
public record HandOver(String slotName, String publicationName, String consistentLsn, long rowsCopied) {

    /** Debezium settings: start from the slot, never snapshot, never touch the publication. */
    public Map<String, String> debeziumSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("plugin.name", "pgoutput");
        m.put("slot.name", slotName);
        m.put("publication.name", publicationName);
        m.put("publication.autocreate.mode", "disabled");
        m.put("snapshot.mode", "no_data");
        return m;
    }
}
