package io.tsmigrate.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU seconds of a process (and, for a PostgreSQL postmaster, its backends) from /proc. */
final class Cpu {

    private static final double TICKS = 100.0;

    private Cpu() {
    }

    /** The pid of a local service of the run directory (its pid file, as deploy/local/services.sh writes it). */
    static long pid(Path runDir, String service) throws IOException {
        return Long.parseLong(Files.readString(runDir.resolve("pids/" + service + ".pid")).trim());
    }

    /**
     * User plus system CPU seconds of {@code pid}; with {@code children}, also of its live children and of
     * the children it has reaped (the backends of finished connections).
     */
    static double seconds(long pid, boolean children) throws IOException {
        long[] own = stat(pid);
        double total = own[0] + own[1] + (children ? own[2] + own[3] : 0);
        if (children) {
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
                for (Path p : procs) {
                    long child = Long.parseLong(p.getFileName().toString());
                    try {
                        long[] s = stat(child);
                        if (s[4] == pid) {
                            total += s[0] + s[1];
                        }
                    } catch (IOException gone) {
                        // The process ended while we looked.
                    }
                }
            }
        }
        return total / TICKS;
    }

    /** utime, stime, cutime, cstime, ppid. */
    private static long[] stat(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        // After the command name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14]), Long.parseLong(f[1])};
    }
}
