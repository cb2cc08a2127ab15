package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import picocli.CommandLine.Option;

/**
 * Where the source, the target and Kafka Connect are. Passwords are never taken on the command line: give
 * the name of an environment variable that holds them (default TSMIGRATE_SOURCE_PASSWORD and
 * TSMIGRATE_TARGET_PASSWORD). Options only: nothing here starts a process ({@link Cluster} does).
 */
final class Endpoints {

    @Option(names = "--source-url", description = "Source JDBC URL, e.g. jdbc:postgresql://db1:5432/app")
    String sourceUrl;

    @Option(names = "--source-user", description = "Source user (needs REPLICATION)")
    String sourceUser;

    @Option(names = "--source-password-env", defaultValue = "TSMIGRATE_SOURCE_PASSWORD", description = "Environment variable holding the source password (default: ${DEFAULT-VALUE})")
    String sourcePasswordEnv;

    @Option(names = "--target-url", description = "Target TimescaleDB JDBC URL")
    String targetUrl;

    @Option(names = "--target-user", description = "Target user")
    String targetUser;

    @Option(names = "--target-password-env", defaultValue = "TSMIGRATE_TARGET_PASSWORD", description = "Environment variable holding the target password (default: ${DEFAULT-VALUE})")
    String targetPasswordEnv;

    @Option(names = "--connect", description = "Kafka Connect REST URL, e.g. http://connect:8083. Without it, tsmigrate runs its own "
            + "Kafka broker and Connect worker (embedded mode)")
    String connect;

    @Option(names = "--kafka", description = "Kafka bootstrap servers of the --connect cluster, to read the topics' end offsets")
    String kafka;

    @Option(names = "--data-dir", description = "Embedded mode: where the broker and worker keep their data and logs "
            + "(default: ~/.local/share/tsmigrate/NAME)")
    java.nio.file.Path dataDir;

    private Embedded embedded;

    Db source() {
        if (sourceUrl == null) {
            throw new CliException("no source given: use --source-url (or source-url in the config file)");
        }
        return new Db(sourceUrl, sourceUser, System.getenv(sourcePasswordEnv));
    }

    Db target() {
        if (targetUrl == null) {
            throw new CliException("no target given: use --target-url (or target-url in the config file)");
        }
        return new Db(targetUrl, targetUser, System.getenv(targetPasswordEnv));
    }

    boolean isEmbedded() {
        return connect == null;
    }

    /** The migration's embedded broker and worker (not started: {@link Cluster#running} starts them). */
    Embedded embedded(Names names) {
        if (embedded == null) {
            embedded = new Embedded(dataDir != null ? dataDir : Embedded.defaultDataDir(names.name()));
            if (sourceUrl != null) {
                embedded.passToWorker(sourcePasswordEnv, source().password());
            }
            if (targetUrl != null) {
                embedded.passToWorker(targetPasswordEnv, target().password());
            }
        }
        return embedded;
    }
}
