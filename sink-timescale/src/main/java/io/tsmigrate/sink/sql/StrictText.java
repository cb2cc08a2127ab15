package io.tsmigrate.sink.sql;

/**
 * The one strict text form of each value {@link CopyBinary} converts, read exactly as PostgreSQL's input functions
 * would read it; anything else is refused (null or Long.MIN_VALUE), so the caller leaves it to PostgreSQL. Stateless.
 */
final class StrictText {

    /** Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
    static final long PG_EPOCH_DAY = 10_957;
    private static final long MICROS_PER_DAY = 86_400_000_000L;

    private StrictText() {
    }

    /** A decimal integer ({@code -?[0-9]+}) within [min, max], else null. */
    static Long integer(String s, long min, long max) {
        int n = s.length();
        int i = n > 0 && s.charAt(0) == '-' ? 1 : 0;
        if (i == n || n - i > 19) {
            return null;
        }
        long v = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            v = v * 10 + (c - '0');
        }
        // 19 digits may overflow a long: only Long.MIN_VALUE's digits wrap to a value of the right sign.
        boolean negative = s.charAt(0) == '-';
        if (v < 0 && !(negative && v == Long.MIN_VALUE)) {
            return null;
        }
        v = negative ? -v : v;
        return v < min || v > max ? null : v;
    }

    /** {@code NaN}, {@code Infinity}, {@code -Infinity}, or {@code -?digits[.digits][(e|E)[+-]digits]}. */
    static boolean isFloatText(String s) {
        if (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity")) {
            return true;
        }
        int n = s.length();
        int i = n > 0 && s.charAt(0) == '-' ? 1 : 0;
        int digits = 0;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
            digits++;
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int exp = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                exp++;
            }
            if (exp == 0) {
                return false;
            }
        }
        return i == n;
    }

    /**
     * Whether PostgreSQL's input would take the number: it refuses one that overflows to infinity or underflows to zero
     * (subnormal results it takes).
     */
    static boolean inRange(String s, boolean infinite, boolean zero) {
        if (infinite) {
            return s.equals("Infinity") || s.equals("-Infinity");
        }
        if (zero) {
            // A zero is in range only when the digits before any exponent are all zeros.
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 'e' || c == 'E') {
                    break;
                }
                if (c >= '1' && c <= '9') {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Microseconds since 2000-01-01 of {@code YYYY-MM-DD(T| )HH:MM:SS[.fraction]} (fraction digits past the sixth must
     * be zeros), followed for timestamptz by {@code Z}, {@code +00} or {@code +00:00} and for timestamp by nothing;
     * Long.MIN_VALUE when the text is in any other form or names no real time (hour 24, second 60, 30 February).
     */
    static long timestamp(String s, boolean zoned) {
        int n = s.length();
        if (n < 19 || (s.charAt(10) != 'T' && s.charAt(10) != ' ') || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return Long.MIN_VALUE;
        }
        long day = epochDay(s, 0);
        int hour = twoDigits(s, 11);
        int minute = twoDigits(s, 14);
        int second = twoDigits(s, 17);
        if (day == Long.MIN_VALUE || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return Long.MIN_VALUE;
        }
        int i = 19;
        long micros = 0;
        if (i < n && s.charAt(i) == '.') {
            i++;
            int digits = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                if (digits < 6) {
                    micros = micros * 10 + (s.charAt(i) - '0');
                } else if (s.charAt(i) != '0') {
                    return Long.MIN_VALUE;
                }
                digits++;
                i++;
            }
            if (digits == 0 || digits > 9) {
                return Long.MIN_VALUE;
            }
            for (int d = Math.min(digits, 6); d < 6; d++) {
                micros *= 10;
            }
        }
        int rest = n - i;
        boolean utc = (rest == 1 && s.charAt(i) == 'Z') || ((rest == 3 || rest == 6) && s.startsWith(rest == 3 ? "+00" : "+00:00", i));
        if (zoned ? !utc : rest != 0) {
            return Long.MIN_VALUE;
        }
        return (day - PG_EPOCH_DAY) * MICROS_PER_DAY + ((hour * 60L + minute) * 60 + second) * 1_000_000L + micros;
    }

    /** Days since 1970-01-01 of {@code YYYY-MM-DD} at {@code at} (years 1 to 9999), or Long.MIN_VALUE. */
    static long epochDay(String s, int at) {
        if (s.length() < at + 10 || s.charAt(at + 4) != '-' || s.charAt(at + 7) != '-') {
            return Long.MIN_VALUE;
        }
        int y1 = twoDigits(s, at);
        int y2 = twoDigits(s, at + 2);
        int month = twoDigits(s, at + 5);
        int day = twoDigits(s, at + 8);
        if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1) {
            return Long.MIN_VALUE;
        }
        int year = y1 * 100 + y2;
        boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        int days = month == 2 ? (leap ? 29 : 28) : month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
        if (year < 1 || day > days) {
            return Long.MIN_VALUE;
        }
        // Days from civil (proleptic Gregorian), with years starting in March.
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    private static int twoDigits(String s, int at) {
        char a = s.charAt(at);
        char b = s.charAt(at + 1);
        return a >= '0' && a <= '9' && b >= '0' && b <= '9' ? (a - '0') * 10 + (b - '0') : -1;
    }
}
