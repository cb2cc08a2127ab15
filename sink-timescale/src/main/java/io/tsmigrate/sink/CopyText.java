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
        for (int i = 0; i < value.length(); i++) {
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
}
