package io.tsmigrate.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority, a server certificate it signed (for 127.0.0.1 and localhost) and a second, unrelated
 * authority, made with openssl for one test in {@code dir}: {@code ca.crt}, {@code server.crt}, {@code server.key},
 * {@code other-ca.crt}. Valid for two days.
 */
public record TlsFiles(Path dir) {

    public Path ca() {
        return dir.resolve("ca.crt");
    }

    public Path otherCa() {
        return dir.resolve("other-ca.crt");
    }

    public static TlsFiles create(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n", StandardCharsets.UTF_8);
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tsmigrate test CA",
                    "-keyout", "ca.key", "-out", "ca.crt");
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=someone else's CA",
                    "-keyout", "other-ca.key", "-out", "other-ca.crt");
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
            openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                    "-extfile", "server.ext", "-out", "server.crt");
            // Read by the chroot's psql and pg_dump, which run as the postgres user.
            for (String f : List.of("ca.crt", "other-ca.crt", "server.crt")) {
                dir.resolve(f).toFile().setReadable(true, false);
            }
            dir.toFile().setExecutable(true, false);
            return new TlsFiles(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write TLS files in " + dir, e);
        }
    }

    private static void openssl(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
