package io.tsmigrate.common;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DbTest {

    @Test
    void tls_settings_of_the_url_reach_libpq_tools() {
        Db db = new Db("jdbc:postgresql://db.example:6432/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fca%20bundle.pem&user=mig", null, "s3cret");
        assertThat(db.libpqEnv()).containsEntry("PGSSLMODE", "verify-full").containsEntry("PGSSLROOTCERT", "/etc/ssl/ca bundle.pem")
                .containsEntry("PGUSER", "mig").containsEntry("PGPORT", "6432").containsEntry("PGPASSWORD", "s3cret");
        assertThat(new Db("jdbc:postgresql://h/app?ssl=true", null, null).sslmode()).isEqualTo("verify-full");
        assertThat(new Db("jdbc:postgresql://h/app", null, null).libpqEnv()).doesNotContainKey("PGSSLMODE");
    }

    @Test
    void a_password_in_the_url_moves_into_the_password_and_leaves_the_url() {
        Db db = new Db("jdbc:postgresql://h:5432/app?user=mig&password=Pl%40nted-Secret&sslmode=require", null, null);
        assertThat(db.url()).isEqualTo("jdbc:postgresql://h:5432/app?user=mig&sslmode=require").doesNotContain("Planted");
        assertThat(db.password()).isEqualTo("Pl@nted-Secret");
        assertThat(new Db("jdbc:postgresql://h/app?password=x", null, "given").password()).isEqualTo("given");
        assertThat(new Db("jdbc:postgresql://h/app?password=x", null, null).url()).isEqualTo("jdbc:postgresql://h/app");
    }

    @Test
    void a_user_given_on_its_own_wins_over_the_urls_for_every_connection() {
        Db db = new Db("jdbc:postgresql://h:5432/app?user=postgres&sslmode=require", "reader", null);
        assertThat(db.url()).isEqualTo("jdbc:postgresql://h:5432/app?sslmode=require");
        assertThat(db.effectiveUser()).isEqualTo("reader");
        assertThat(db.libpqEnv()).containsEntry("PGUSER", "reader");
        assertThat(new Db("jdbc:postgresql://h/app?user=mig", null, null).effectiveUser()).isEqualTo("mig");
    }
}
