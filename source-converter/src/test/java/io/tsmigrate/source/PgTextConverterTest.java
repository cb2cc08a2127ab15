package io.tsmigrate.source;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import org.junit.jupiter.api.Test;
import org.postgresql.geometric.PGbox;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class PgTextConverterTest {

    @Test
    void claims_arrays_postgis_varbit_and_types_debezium_drops() {
        assertThat(PgTextConverter.carriesAsText("_numeric")).isTrue();
        assertThat(PgTextConverter.carriesAsText("_text")).isTrue();
        assertThat(PgTextConverter.carriesAsText("geometry")).isTrue();
        assertThat(PgTextConverter.carriesAsText("GEOGRAPHY")).isTrue();
        assertThat(PgTextConverter.carriesAsText("varbit")).isTrue();
        assertThat(PgTextConverter.carriesAsText("polygon")).isTrue();
        assertThat(PgTextConverter.carriesAsText("int4multirange")).isTrue();
        assertThat(PgTextConverter.carriesAsText("text")).isFalse();
        assertThat(PgTextConverter.carriesAsText("numeric")).isFalse();
        assertThat(PgTextConverter.carriesAsText("timestamptz")).isFalse();
        assertThat(PgTextConverter.carriesAsText(null)).isFalse();
    }

    @Test
    void unchanged_toast_markers_become_the_placeholder_and_null_stays_null() {
        PgTextConverter c = new PgTextConverter();
        Properties p = new Properties();
        p.setProperty("placeholder", "__unchanged");
        c.configure(p);
        assertThat(c.text(UnchangedToastedReplicationMessageColumn.UNCHANGED_TOAST_VALUE)).isEqualTo("__unchanged");
        assertThat(c.text(UnchangedToastedReplicationMessageColumn.UNCHANGED_INT_ARRAY_TOAST_VALUE)).isEqualTo("__unchanged");
        assertThat(c.text(null)).isNull();
    }

    @Test
    void values_keep_their_postgresql_text() throws Exception {
        PgTextConverter c = new PgTextConverter();
        c.configure(new Properties());
        assertThat(c.text("0101000020E6100000000000000000F03F0000000000000040")).isEqualTo("0101000020E6100000000000000000F03F0000000000000040");
        assertThat(c.text(new PGbox("(1,2),(0,0)"))).isEqualTo("(1.0,2.0),(0.0,0.0)");
        assertThat(c.text("0011")).isEqualTo("0011");
    }

    @Test
    void claims_composites_and_user_types_debezium_has_no_converter_for() {
        assertThat(PgTextConverter.carriesAsText("address", java.sql.Types.STRUCT, 16500)).isTrue();
        assertThat(PgTextConverter.carriesAsText("floatrange", java.sql.Types.OTHER, 16600)).isTrue();
        assertThat(PgTextConverter.carriesAsText("hstore", java.sql.Types.OTHER, 16700)).isFalse();
        assertThat(PgTextConverter.carriesAsText("int4range", java.sql.Types.OTHER, 3904)).isFalse();
        assertThat(PgTextConverter.carriesAsText("numeric", java.sql.Types.NUMERIC, 1700)).isFalse();
        // Domains: the domain's name with its base type's OID and JDBC type.
        assertThat(PgTextConverter.carriesAsText("tabref", java.sql.Types.OTHER, 2205)).isTrue();
        assertThat(PgTextConverter.carriesAsText("shape", java.sql.Types.OTHER, 604)).isTrue();
        assertThat(PgTextConverter.carriesAsText("ints", java.sql.Types.ARRAY, 1007)).isTrue();
        assertThat(PgTextConverter.carriesAsText("price", java.sql.Types.NUMERIC, 1700)).isFalse();
    }
}
