package io.tsmigrate.sink;

import java.io.IOException;
import java.sql.SQLException;

/**
 * Tells transient database errors (retry the same batch later) from data errors (a record is at fault).
 * By SQLSTATE: class 08 connection exception, 40001 serialization failure, 40P01 deadlock, class 53
 * insufficient resources (too many connections, out of memory, disk full), 57P01-57P05 shutdown and
 * crash recovery, 55P03 lock not available, 58 system errors. A missing SQLSTATE with an I/O cause is a
 * broken connection.
 */
public final class ErrorClassifier {

    private ErrorClassifier() {
    }

    public static boolean isTransient(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException e) {
                String state = e.getSQLState();
                if (state == null) {
                    if (e.getCause() instanceof IOException) {
                        return true;
                    }
                    continue;
                }
                if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P") || state.startsWith("58")
                        || state.equals("40001") || state.equals("40P01") || state.equals("55P03")) {
                    return true;
                }
            }
            if (c instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
