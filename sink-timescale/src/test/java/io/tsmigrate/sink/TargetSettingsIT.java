package io.tsmigrate.sink;

import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;

/**
 * A target database's own settings (ALTER DATABASE ... SET, as production databases have them) reach every new
 * session, the sink's included: they must neither cancel its work nor change how it reads values.
 */
@ExtendWith(ServicesExtension.class)
class TargetSettingsIT {

    @Test
    @DisplayName("a target database with production's timeouts (statement 50 ms, lock 20 ms, idle in transaction 100 ms), a European "
            + "lc_monetary and standard_conforming_strings off: a 300,000-row COPY, an update of every row and a delete arrive equal")
    void target_database_settings_do_not_reach_the_sink(TestDatabases dbs) throws Exception {
        try (Connection c = Services.open(dbs.target().withDatabase("postgres")); Statement st = c.createStatement()) {
            for (String setting : new String[] {"statement_timeout = '50ms'", "lock_timeout = '20ms'", "idle_in_transaction_session_timeout = '100ms'",
                    "lc_monetary = 'de_DE.UTF-8'", "standard_conforming_strings = off"}) {
                st.execute("ALTER DATABASE " + dbs.target().database() + " SET " + setting);
            }
        }
        try (Pipeline p = new Pipeline(dbs, "settings")) {
            p.both("CREATE TABLE ledger (id int PRIMARY KEY, amount money, note text)");
            p.start();
            try (Connection s = Services.open(dbs.source())) {
                StringBuilder rows = new StringBuilder();
                for (int i = 1; i <= 300_000; i++) {
                    rows.append(i).append('\t').append(i).append(".25\tnote ").append(i % 97).append('\n');
                }
                s.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyIn("COPY ledger FROM STDIN", new java.io.StringReader(rows.toString()));
            }
            p.source("UPDATE ledger SET amount = amount * 2, note = note || ' ' || chr(92)", "DELETE FROM ledger WHERE id % 3 = 0");
            p.awaitEqual(Duration.ofSeconds(240), "ledger");
            p.assertSinkNotFailed();
            try (Connection t = Services.open(dbs.target()); Statement st = t.createStatement()) {
                st.execute("SET lc_monetary = 'C'");
                org.assertj.core.api.Assertions.assertThat(Pipeline.one(t, "SELECT amount::numeric FROM ledger WHERE id = 1")).isEqualTo("2.50");
            }
        }
    }
}
