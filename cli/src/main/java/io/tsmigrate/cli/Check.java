package io.tsmigrate.cli;

/**
 * One preflight finding: OK, WARN or FAIL, what was found, and how to fix it. Immutable.
 */
record Check(String area, String name, Status status, String detail, String fix) {

    enum Status { OK, WARN, FAIL }

    static Check ok(String area, String name, String detail) {
        return new Check(area, name, Status.OK, detail, null);
    }

    static Check warn(String area, String name, String detail, String fix) {
        return new Check(area, name, Status.WARN, detail, fix);
    }

    static Check fail(String area, String name, String detail, String fix) {
        return new Check(area, name, Status.FAIL, detail, fix);
    }
}
