package io.tsmigrate.bootstrap;

/** How the copy's progress is shown. */
public enum ProgressMode {
    /** A progress bar with rate and ETA (a terminal). */
    BAR,
    /** One plain line per interval (a log, a pipe). */
    PLAIN,
    /** One JSON line per interval ({@code --json}, for programs). */
    JSON;

    /** The mode for a run: JSON when asked for, a bar on a terminal, plain lines otherwise. */
    public static ProgressMode of(boolean json, boolean terminal) {
        return json ? JSON : terminal ? BAR : PLAIN;
    }
}
