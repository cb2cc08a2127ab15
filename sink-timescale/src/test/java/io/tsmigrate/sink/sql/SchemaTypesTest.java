package io.tsmigrate.sink.sql;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SchemaTypesTest {

    private static Schema source(String type, String length, String scale) {
        return SchemaBuilder.string().optional().parameter(SchemaTypes.SOURCE_TYPE, type).parameter(SchemaTypes.SOURCE_LENGTH, length)
                .parameter(SchemaTypes.SOURCE_SCALE, scale).build();
    }

    @Test
    void the_source_type_keeps_its_modifiers_and_only_digits_go_into_them() {
        assertThat(SchemaTypes.sourceType(source("NUMERIC", "12", "2"))).containsExactly("numeric", "(12,2)");
        assertThat(SchemaTypes.sourceType(source("NUMERIC", "131089", "0"))).containsExactly("numeric", "");
        assertThat(SchemaTypes.sourceType(source("VARCHAR", "20", "0"))).containsExactly("varchar", "(20)");
        assertThat(SchemaTypes.sourceType(source("VARCHAR", "2147483647", "0"))).containsExactly("varchar", "");
        assertThat(SchemaTypes.sourceType(source("TIMESTAMPTZ", "32", "3"))).containsExactly("timestamptz", "(3)");
        assertThat(SchemaTypes.sourceType(source("TIMESTAMPTZ", "35", "6"))).containsExactly("timestamptz", "");
        assertThat(SchemaTypes.sourceType(source("_INT4", "10", "0"))).containsExactly("int4", "[]");
        assertThat(SchemaTypes.sourceType(source("_NUMERIC", "5", "1"))).containsExactly("numeric", "(5,1)[]");
        assertThat(SchemaTypes.sourceType(source("MOOD", "2147483647", "0"))).containsExactly("mood", "");
        assertThat(SchemaTypes.sourceType(source("NUMERIC", "12); DROP TABLE x; --", "2"))).containsExactly("numeric", "");
        assertThat(SchemaTypes.sourceType(source("int; drop table x", "1", "0"))).isNull();
        assertThat(SchemaTypes.sourceType(Schema.OPTIONAL_STRING_SCHEMA)).isNull();
    }
}
