package io.tsmigrate.testkit;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WriteLoadTest {

    /** A connection whose statements do nothing; closing it is counted. */
    private static Connection fake(int[] closed) {
        Statement st = (Statement) Proxy.newProxyInstance(Statement.class.getClassLoader(), new Class<?>[] {Statement.class},
                (proxy, method, args) -> method.getReturnType() == boolean.class ? false : null);
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
            if (method.getName().equals("close")) {
                closed[0]++;
            }
            return method.getName().equals("createStatement") ? st : null;
        });
    }

    @Test
    void a_load_that_dies_fails_the_test_by_name() throws Exception {
        WriteLoad load = WriteLoad.run("orders", running -> {
            throw new java.sql.SQLException("connection refused");
        });
        assertThatThrownBy(() -> load.awaitEnd(Duration.ofSeconds(5))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("write load orders failed").hasMessageContaining("connection refused");
        assertThatThrownBy(load::close).isInstanceOf(AssertionError.class);
        assertThatThrownBy(load::check).isInstanceOf(AssertionError.class);
    }

    @Test
    void rounds_are_counted_until_closed_or_until_a_round_says_stop() throws Exception {
        int[] closed = {0};
        WriteLoad load = WriteLoad.repeat("counted", () -> fake(closed), 1, (st, n) -> true);
        while (load.rounds() < 5) {
            Thread.sleep(5);
        }
        load.check();
        load.close();
        assertThat(load.alive()).isFalse();
        assertThat(closed[0]).as("its connection closed").isEqualTo(1);
        WriteLoad stops = WriteLoad.repeat("blocked", () -> fake(closed), 0, (st, n) -> n < 3);
        stops.awaitEnd(Duration.ofSeconds(5));
        assertThat(stops.rounds()).isEqualTo(3);
    }
}
