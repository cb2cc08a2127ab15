package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PostgreSQL's client tools (pg_dump, psql, pg_dumpall), found in a configured folder or on PATH, checked to
 * be at least the source's major version. Secrets go through the environment, never the command line.
 */
final class PgTools {

    private final Path folder;

    private PgTools(Path folder) {
        this.folder = folder;
    }

    /**
     * @param configured a folder from the plan or {@code --pg-bin}, or null for PATH
     * @param sourceMajor the source server's major version
     * @throws BootstrapException naming the missing tool or the version and the fix
     */
    static PgTools locate(String configured, int sourceMajor) {
        Path dir = configured == null || configured.isBlank() ? findOnPath("pg_dump") : Path.of(configured);
        if (dir == null || !Files.isExecutable(dir.resolve("pg_dump")) || !Files.isExecutable(dir.resolve("psql"))) {
            throw new BootstrapException("pg_dump and psql " + sourceMajor + " or later are needed to copy the schema but were not found "
                    + (configured == null ? "on PATH" : "in " + configured) + "; install the PostgreSQL client (for example apt-get install "
                    + "postgresql-client-" + sourceMajor + ") or give their folder with --pg-bin");
        }
        PgTools tools = new PgTools(dir);
        int major = tools.major("pg_dump");
        if (major < sourceMajor) {
            throw new BootstrapException(dir.resolve("pg_dump") + " is version " + major + ", older than the source server (" + sourceMajor
                    + "); pg_dump must be at least the server's version: install postgresql-client-" + sourceMajor + " or give its folder with --pg-bin");
        }
        return tools;
    }

    private static Path findOnPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String p : path.split(":")) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, tool))) {
                return Path.of(p);
            }
        }
        return null;
    }

    int major(String tool) {
        String out = run(List.of(tool, "--version"), Map.of(), null).stdout;
        Matcher m = Pattern.compile("(\\d+)(?:\\.\\d+)?").matcher(out.substring(Math.max(0, out.indexOf(')'))));
        if (!m.find()) {
            throw new BootstrapException("cannot read the version of " + tool + " from: " + out.strip());
        }
        return Integer.parseInt(m.group(1));
    }

    /** pg_dump's output as text. */
    String dump(Db db, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("pg_dump", "--no-password"));
        cmd.addAll(args);
        return run(cmd, db.libpqEnv(), null).stdout;
    }

    /** Runs a script with psql on a database, stopping at the first error. */
    void psql(Db db, String script) {
        run(List.of("psql", "--no-password", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"), db.libpqEnv(), script);
    }

    String dumpRoles(Db db) {
        return run(List.of("pg_dumpall", "--no-password", "--roles-only", "--no-role-passwords"), db.libpqEnv(), null).stdout;
    }

    private record Result(String stdout, String stderr) {
    }

    private Result run(List<String> command, Map<String, String> env, String stdin) {
        List<String> cmd = new ArrayList<>(command);
        cmd.set(0, folder.resolve(command.get(0)).toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        // Scripts pass through here as Java strings: pg_dump writes UTF-8 whatever the source database's encoding
        // (a LATIN1 source's names and defaults would otherwise reach psql mangled), and psql reads it as such.
        pb.environment().put("PGCLIENTENCODING", "UTF8");
        try {
            Process p = pb.start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            IOException unread = null;
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // The tool ended before reading all of its input (it could not connect, say): its exit code and
                // its own message below say why; a broken pipe would not.
                unread = e;
            }
            int code = p.waitFor();
            Result r = new Result(new String(out.join(), StandardCharsets.UTF_8), new String(err.join(), StandardCharsets.UTF_8));
            if (code != 0) {
                throw new BootstrapException(command.get(0) + " failed (exit " + code + "): " + r.stderr.strip());
            }
            if (unread != null) {
                throw new BootstrapException(command.get(0) + " ended before reading all of its input (" + unread.getMessage() + "): " + r.stderr.strip(), unread);
            }
            return r;
        } catch (IOException e) {
            throw new BootstrapException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BootstrapException("interrupted while running " + command.get(0), e);
        }
    }

    private static byte[] readAll(InputStream in) {
        try (in; ByteArrayOutputStream b = new ByteArrayOutputStream()) {
            in.transferTo(b);
            return b.toByteArray();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
