package io.tsmigrate.testkit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MisconfiguredSourceIT {

    @Test
    @DisplayName("a source without wal_level=logical is refused with the setting and the fix, not a hang")
    void source_without_logical_wal_is_refused() {
        Services services = Services.get();
        assumeTrue(services.natives().isPresent(), "needs the native services to start a misconfigured cluster");
        NativeServices natives = services.natives().orElseThrow();
        PgEndpoint bad = natives.startExtraPostgres("badsource", services.source().port() + 5, "wal_level=replica");
        try {
            assertThatThrownBy(() -> Preflight.requireLogicalSource(bad))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("wal_level=replica")
                    .hasMessageContaining("ALTER SYSTEM SET wal_level = logical");
        } finally {
            natives.stopExtraPostgres("badsource");
        }
    }
}
