package kr.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The live progress line on stderr: epoch, step/steps, running loss and accuracy, images/s and
 * ETA. On a terminal one line is rewritten in place with {@code \r}; otherwise (a log file, CI) a
 * plain line is printed every {@code plainEverySeconds}. {@code KR_PROGRESS=tty|plain|off} overrides
 * the detection.
 */
public final class Progress {
    public enum Mode { TTY, PLAIN, OFF }

    private final PrintStream err;
    private final Mode mode;
    private final double plainEverySeconds;
    private long lastNanos;
    private int lastWidth;

    public Progress(PrintStream err, Mode mode, double plainEverySeconds) {
        this.err = err;
        this.mode = mode;
        this.plainEverySeconds = plainEverySeconds;
    }

    /** stderr, in the mode {@code name} ("auto", "tty", "plain", "off"); auto asks the environment. */
    public static Progress stderr(String name) {
        String env = System.getenv("KR_PROGRESS");
        String m = name == null || name.equals("auto") ? (env == null || env.isBlank() ? "auto" : env.trim()) : name;
        Mode mode = switch (m.toLowerCase(Locale.ROOT)) {
            case "tty" -> Mode.TTY;
            case "plain" -> Mode.PLAIN;
            case "off" -> Mode.OFF;
            case "auto" -> isTerminal() ? Mode.TTY : Mode.PLAIN;
            default -> throw new kr.config.ConfigException("[progress] " + (name == null || name.equals("auto") ? "KR_PROGRESS" : "--progress")
                    + " must be auto, tty, plain or off, got '" + kr.io.Json.printable(m) + "'");
        };
        return new Progress(System.err, mode, 30);
    }

    public static Progress off() {
        return new Progress(System.err, Mode.OFF, 0);
    }

    public Mode mode() {
        return mode;
    }

    /** Reports step {@code step} (1-based, of {@code steps}) of epoch {@code epoch} (1-based). */
    public void step(int epoch, int epochs, int step, int steps, double loss, double acc, double imagesPerSecond, double etaSeconds) {
        if (mode == Mode.OFF) return;
        long now = System.nanoTime();
        boolean last = step == steps;
        double since = (now - lastNanos) / 1e9;
        if (mode == Mode.TTY && since < 0.2 && !last && lastNanos != 0) return;
        if (mode == Mode.PLAIN && since < plainEverySeconds && lastNanos != 0) return;
        lastNanos = now;
        String line = String.format(Locale.ROOT, "epoch %d/%d  step %d/%d  loss %.4f  acc %.2f%%  %.0f img/s  ETA %s", epoch, epochs, step, steps,
                loss, 100 * acc, imagesPerSecond, duration(etaSeconds));
        if (mode == Mode.TTY) {
            int pad = Math.max(0, lastWidth - line.length());
            err.print("\r" + line + " ".repeat(pad));
            lastWidth = line.length();
        } else err.println(line);
        err.flush();
    }

    /** Ends the in-place line (before other output). */
    public void clear() {
        if (mode == Mode.TTY && lastWidth > 0) {
            err.print("\r" + " ".repeat(lastWidth) + "\r");
            err.flush();
            lastWidth = 0;
        }
    }

    /** "1h02m", "3m05s", "42s". */
    public static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        if (s >= 3600) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        if (s >= 60) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return s + "s";
    }

    /** Whether the JVM talks to a terminal ({@code Console.isTerminal()} where the JDK has it, 22+). */
    static boolean isTerminal() {
        java.io.Console c = System.console();
        if (c == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true; // before JDK 22 a console exists only on a terminal
        }
    }
}
