package io.tsmigrate.source;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.postgresql.util.PGobject;

import java.util.Locale;
import java.util.Properties;
import java.util.Set;

/**
 * A Debezium custom converter that streams the columns Debezium 3.6.1 cannot carry exactly as PostgreSQL's own text
 * form (what pgoutput decoded), which the sink hands back to PostgreSQL as text input:
 * <ul>
 *   <li>every array: Debezium sends NULL for an unchanged TOASTed array of most element types ({@code numeric[]},
 *       {@code float8[]}, {@code boolean[]}, {@code timestamptz[]}, ...), which cannot be told from a real NULL;</li>
 *   <li>PostGIS {@code geometry}/{@code geography}: the same NULL for unchanged TOASTed values;</li>
 *   <li>{@code bit varying}: Debezium sends bytes of the declared length, losing leading zero bits;</li>
 *   <li>types Debezium has no converter for ({@code box}, {@code polygon}, {@code path}, {@code pg_lsn},
 *       multiranges, ...): it leaves such columns out of its events, so the target would get NULL or the default.</li>
 * </ul>
 * An unchanged TOASTed value of such a column becomes the unavailable-value placeholder, which the sink replaces by
 * the target's current value. Debezium loads this class from its own plugin folder (the jar goes there) and calls it
 * on its single streaming thread; the instance is stateless after {@link #configure}.
 *
 * <p>Configured in the source connector as {@code converters=tsmigrate},
 * {@code tsmigrate.type=io.tsmigrate.source.PgTextConverter}; optional {@code tsmigrate.placeholder} (default
 * Debezium's {@code __debezium_unavailable_value}, the sink's {@code unavailable.value.placeholder}).
 */
public final class PgTextConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {

    /** The schema name that tells the sink a value is the source's text for its column's type. */
    static final String SCHEMA_NAME = "io.tsmigrate.PgText";

    static final String DEFAULT_PLACEHOLDER = "__debezium_unavailable_value";

    /** Scalar types carried as text; PostgreSQL's type names as Debezium reports them (pg_type.typname). */
    static final Set<String> TEXT_TYPES = Set.of("geometry", "geography", "box2d", "box3d", "varbit", "bit varying",
            "box", "circle", "line", "lseg", "path", "polygon", "pg_lsn", "tsquery", "jsonpath", "txid_snapshot",
            "pg_snapshot", "xid", "xid8", "cid", "tid", "regclass", "regtype", "regproc", "regprocedure", "regoper",
            "regoperator", "regconfig", "regdictionary", "regnamespace", "regrole", "regcollation", "int2vector",
            "oidvector", "aclitem");

    /**
     * The OIDs of {@link #TEXT_TYPES}' built-in types and the built-in multiranges. A column of a domain reaches this
     * class with the domain's name and its base type's OID: a domain over regclass came through as raw bytes and
     * stopped the sink.
     */
    static final Set<Integer> TEXT_OIDS = Set.of(603, 718, 628, 601, 602, 604, 3220, 3615, 4072, 2970, 5038, 28, 5069, 29, 27, 1562,
            2205, 2206, 24, 2202, 2203, 2204, 3734, 3769, 4089, 4096, 4191, 22, 30, 1033, 4451, 4536, 4532, 4535, 4533, 4534);

    private String placeholder = DEFAULT_PLACEHOLDER;

    @Override
    public void configure(Properties props) {
        placeholder = props.getProperty("placeholder", DEFAULT_PLACEHOLDER);
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        if (carriesAsText(column.typeName(), column.jdbcType(), column.nativeType())) {
            registration.register(SchemaBuilder.string().name(SCHEMA_NAME), this::text);
        }
    }

    /** Types of extensions that Debezium 3.6.1 converts itself (the templates choose how): left to it. */
    static final Set<String> DEBEZIUM_EXTENSION_TYPES = Set.of("hstore", "citext", "ltree", "isbn", "vector", "halfvec", "sparsevec");

    /** PostgreSQL's first OID of objects created after initdb: user and extension types. */
    static final int FIRST_NORMAL_OID = 16384;

    /**
     * Whether a column is ours: by its type name ({@link #carriesAsText(String)}), or a composite type (JDBC
     * {@code STRUCT}), or another type created after initdb that Debezium has no converter for (JDBC {@code OTHER}:
     * user-defined ranges and base types of extensions), which Debezium would send as raw bytes or leave out.
     */
    static boolean carriesAsText(String typeName, int jdbcType, int nativeType) {
        if (carriesAsText(typeName) || TEXT_OIDS.contains(nativeType) || jdbcType == java.sql.Types.ARRAY) {
            return true;
        }
        if (jdbcType == java.sql.Types.STRUCT) {
            return true;
        }
        return jdbcType == java.sql.Types.OTHER && nativeType >= FIRST_NORMAL_OID && typeName != null
                && !DEBEZIUM_EXTENSION_TYPES.contains(typeName.toLowerCase(Locale.ROOT));
    }

    /** Whether a column of this type (Debezium's type name, such as {@code _int4} or {@code geometry}) is ours. */
    static boolean carriesAsText(String typeName) {
        if (typeName == null) {
            return false;
        }
        String t = typeName.toLowerCase(Locale.ROOT);
        // Array types are named with a leading underscore in pg_type; Debezium reports them so.
        return t.startsWith("_") || t.endsWith("[]") || t.endsWith("multirange") || TEXT_TYPES.contains(t);
    }

    /** The value's PostgreSQL text form; null stays null. */
    Object text(Object value) {
        if (value == null) {
            return null;
        }
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(value)) {
            return placeholder;
        }
        if (value instanceof PGobject o) {
            return o.getValue();
        }
        if (value instanceof byte[] bytes) {
            // A type Debezium does not know, sent as pgoutput's text in bytes.
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }
        // pgjdbc's PgArray built from pgoutput's text gives that text back; geometry and unknown types come as text.
        return value.toString();
    }
}
