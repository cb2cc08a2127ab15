package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(ServicesExtension.class)
class SessionPoolIT {

    @Test
    @DisplayName("a session given back is handed out again with its transaction ended and autocommit and isolation reset; a broken one is not")
    void sessions_are_kept_and_reset(TestDatabases dbs) throws Exception {
        try (SessionPool pool = new SessionPool(new Db(dbs.target().jdbcUrl(), null, null))) {
            String pid;
            try (Connection c = pool.open("test")) {
                pid = Db.one(c, "SELECT pg_backend_pid()");
                c.setAutoCommit(false);
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                Db.one(c, "SELECT count(*) FROM pg_class");
            }
            try (Connection c = pool.open("test")) {
                assertThat(Db.one(c, "SELECT pg_backend_pid()")).isEqualTo(pid);
                assertThat(c.getAutoCommit()).isTrue();
                assertThat(Db.one(c, "SHOW transaction_isolation")).isEqualTo("read committed");
                assertThat(Db.one(c, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND state = 'idle in transaction'")).isEqualTo("0");
                // Two at once: the second is a session of its own.
                try (Connection d = pool.open("test")) {
                    assertThat(Db.one(d, "SELECT pg_backend_pid()")).isNotEqualTo(pid);
                }
            }
            try (Connection c = pool.open("test"); Connection admin = dbs.openTarget()) {
                Db.one(admin, "SELECT pg_terminate_backend(" + pid + ")");
                Thread.sleep(200);
                try {
                    Db.one(c, "SELECT 1");
                } catch (java.sql.SQLException expected) {
                    // The session was ended under it.
                }
            }
            try (Connection c = pool.open("test")) {
                assertThat(Db.one(c, "SELECT 1")).isEqualTo("1");
                assertThat(Db.one(c, "SELECT pg_backend_pid()")).isNotEqualTo(pid);
            }
        }
    }
}
