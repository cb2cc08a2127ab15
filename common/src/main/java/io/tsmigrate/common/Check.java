package io.tsmigrate.common;

/**
 * One preflight finding: OK, WARN or FAIL, what was found, and how to fix it. Immutable.
 *
 * @param area   where: source, target or connect
 * @param name   what was checked (a setting, a privilege, a table)
 * @param detail what was found
 * @param fix    what to do about it; null when nothing is to be done
 */
public record Check(String area, String name, Status status, String detail, String fix) {

    /** How a finding weighs: OK, a warning that does not stop a migration, or a failure that does. */
    public enum Status { OK, WARN, FAIL }

    public static Check ok(String area, String name, String detail) {
        return new Check(area, name, Status.OK, detail, null);
    }

    public static Check warn(String area, String name, String detail, String fix) {
        return new Check(area, name, Status.WARN, detail, fix);
    }

    public static Check fail(String area, String name, String detail, String fix) {
        return new Check(area, name, Status.FAIL, detail, fix);
    }

    /** The finding as one sentence for a log or an error: where, what was found, and the fix. */
    public String sentence() {
        return area + " " + name + ": " + detail + (fix == null ? "" : "; fix: " + fix);
    }
}
