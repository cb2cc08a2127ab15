package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The snapshot keeper runs in a JVM of its own: its class path must name every place its classes come from, also
 * when the bootstrap runs under a class loader that java.class.path does not describe (Maven's exec:java, a Connect
 * plugin). It once lacked the common module, and the benchmark's bootstrap failed with NoClassDefFoundError.
 */
class KeeperClasspathTest {

    @Test
    void names_the_keeper_the_common_module_and_pgjdbc() throws Exception {
        List<String> parts = List.of(KeeperProcess.classpath().split(File.pathSeparator));
        for (Class<?> c : List.of(SnapshotKeeper.class, Db.class, org.postgresql.Driver.class)) {
            assertThat(parts).contains(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
    }
}
