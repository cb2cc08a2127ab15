package io.tsmigrate.bootstrap;

import java.nio.file.Path;

/**
 * Runs a bootstrap from a plan file: {@code BootstrapMain PLAN [--restart]}. The command line ({@code tsmigrate
 * bootstrap}) is the usual way; this entry point serves tests that run the bootstrap as its own process.
 */
public final class BootstrapMain {

    private BootstrapMain() {
    }

    public static void main(String[] args) throws Exception {
        BootstrapPlan plan = BootstrapPlan.read(Path.of(args[0]));
        boolean restart = args.length > 1 && args[1].equals("--restart");
        try {
            HandOver h = new Bootstrap(plan, restart, System.out, ProgressMode.JSON).run();
            System.out.println("HANDOVER " + h.slotName() + " " + h.publicationName() + " " + h.consistentLsn());
        } catch (io.tsmigrate.common.UserError e) {
            System.err.println("tsmigrate bootstrap: " + e.getMessage());
            System.exit(2);
        }
    }
}
