package io.tsmigrate.sink;

/** PostgreSQL COPY text format: one line per row, tab-separated, {@code \N} for NULL. */
final class CopyText {

    private CopyText() {
    }

    static void appendCell(StringBuilder sb, String value) {
        if (value == null) {
            sb.append("\\N");
            return;
        }
        int n = value.length();
        int first = 0;
        while (first < n && !special(value.charAt(first))) {
            first++;
        }
        if (first == n) {
            // Most cells (numbers, times, short text) need no escaping: one bulk copy.
            sb.append(value);
            return;
        }
        sb.append(value, 0, first);
        for (int i = first; i < n; i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> sb.append("\\\\");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> sb.append(ch);
            }
        }
    }

    private static boolean special(char ch) {
        return ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r';
    }
}
