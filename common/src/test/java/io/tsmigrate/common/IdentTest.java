package io.tsmigrate.common;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class IdentTest {

    @Test
    void readable_names_never_collide() {
        assertThat(Ident.readable("public", "orders_2026")).isEqualTo("public.orders_2026");
        assertThat(Ident.readable("s", "a.b")).isEqualTo("s.\"a.b\"");
        assertThat(Ident.readable("s.a", "b")).isEqualTo("\"s.a\".b");
        assertThat(Ident.readable("public", "Café")).isEqualTo("public.\"Café\"");
        assertThat(Ident.readable("a\"b", "c")).isEqualTo("\"a\"\"b\".c");
        assertThat(Ident.readable("s", "1st")).isEqualTo("s.\"1st\"");
    }

    @Test
    void split_reads_what_readable_writes_and_plain_text_as_written() {
        for (String[] t : new String[][] {{"s", "a.b"}, {"s.a", "b"}, {"a\"b", "c.d"}, {"public", "Readings"}, {"x", "y"}}) {
            assertThat(Ident.split(Ident.readable(t[0], t[1]))).containsExactly(t[0], t[1]);
        }
        assertThat(Ident.split("readings")).containsExactly("public", "readings");
        assertThat(Ident.split("app.Readings")).as("unquoted text as written, as before").containsExactly("app", "Readings");
        assertThat(Ident.split("app.a.b")).as("the first dot splits").containsExactly("app", "a.b");
        assertThat(Ident.split("Mess\"wert ü")).as("a quote inside unquoted text, as written").containsExactly("public", "Mess\"wert ü");
    }
}
