package io.tsmigrate.testkit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgEndpointTest {

    @Test
    void parses_a_jdbc_url_and_keeps_the_password_out_of_text() {
        PgEndpoint e = PgEndpoint.parse("jdbc:postgresql://127.0.0.1:55432/app?user=mig&password=s3cr%26t");
        assertThat(e.host()).isEqualTo("127.0.0.1");
        assertThat(e.port()).isEqualTo(55432);
        assertThat(e.database()).isEqualTo("app");
        assertThat(e.user()).isEqualTo("mig");
        assertThat(e.password()).isEqualTo("s3cr&t");
        assertThat(e.toString()).doesNotContain("s3cr");
        assertThat(e.jdbcUrl()).doesNotContain("password");
        assertThat(e.withDatabase("other").jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:55432/other?user=mig");
    }

    @Test
    void a_wrong_url_names_the_expected_form_without_the_password() {
        assertThatThrownBy(() -> PgEndpoint.parse("postgres://h/db?password=hunter2"))
                .hasMessageContaining("jdbc:postgresql://host:port/database")
                .hasMessageNotContaining("hunter2");
    }
}
