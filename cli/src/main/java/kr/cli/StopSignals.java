package kr.cli;

import java.io.PrintStream;
import java.util.function.BooleanSupplier;
import sun.misc.Signal;

/**
 * SIGTERM (scancel, preemption, the time limit), SIGINT (Ctrl-C) and SIGUSR1 (Slurm's early warning,
 * from {@code --signal=B:USR1@120}) as a stop request: the run (or grid) saves a checkpoint at the
 * next step boundary and exits. A shutdown hook cannot do that, since it runs beside a step in progress. If
 * no step boundary comes within the grace period (a long evaluation, data loading), the process
 * exits anyway; its cell's lock is released by {@code CellLock}'s shutdown hook.
 */
final class StopSignals implements BooleanSupplier {
    private volatile String signal;
    private final PrintStream err;
    private final String op;
    private final long graceMillis;

    private StopSignals(PrintStream err, String op, long graceMillis) {
        this.err = err;
        this.op = op;
        this.graceMillis = graceMillis;
    }

    /** Handles TERM, INT and USR1 from now on ({@code op} names the command in messages); Slurm's KillWait (30 s by default) bounds the grace period. */
    static StopSignals install(PrintStream err, String op) {
        StopSignals s = new StopSignals(err, op, 20_000);
        for (String name : new String[] {"TERM", "INT", "USR1"}) {
            try {
                Signal.handle(new Signal(name), sig -> s.received("SIG" + sig.getName()));
            } catch (IllegalArgumentException e) { // no such signal here (Windows), or the JVM reserves it (-Xrs)
                err.println("[" + op + "] cannot handle SIG" + name + " (" + e.getMessage() + "): a signal will end the run without a last checkpoint");
            }
        }
        return s;
    }

    private void received(String name) {
        if (signal != null) return;
        signal = name;
        err.println("[" + op + "] " + name + " received: saving a checkpoint at the next step, then exiting");
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(graceMillis);
            } catch (InterruptedException e) {
                return;
            }
            err.println("[" + op + "] no step boundary within " + graceMillis / 1000 + " s of " + name + "; exiting without a new checkpoint (the run resumes from its last one)");
            System.exit(143);
        }, "kr-stop-grace");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public boolean getAsBoolean() {
        return signal != null;
    }

    /** The signal that asked to stop ("SIGTERM", "SIGUSR1"), or null. */
    String signal() {
        return signal;
    }
}
