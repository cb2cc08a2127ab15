package io.tsmigrate.json;

import com.fasterxml.jackson.core.StreamReadConstraints;

/**
 * What the sink's JSON reading accepts. Jackson refuses a string value over 20,000,000 characters by default; a
 * PostgreSQL text, json or base64-encoded bytea value can be up to 1 GB, and a change event up to what Kafka takes
 * (docs/operations.md, "Large rows"), so strings are not limited here: Kafka's record size is the limit.
 */
public final class JsonLimits {

    /** Jackson's defaults without the limit on a string value's length. */
    public static final StreamReadConstraints READ = StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build();

    private JsonLimits() {
    }
}
