package autoassign.train;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * What a person watching a training sees: on a terminal, a progress bar with ETA and the running losses; always,
 * every log interval, a line in MMDetection's format
 * ({@code Epoch(train) [1][ 10/80]  lr: ...  eta: ...  time: ...  data_time: ...  memory: ...  loss: ...}, or
 * {@code Iter(train) [ 10/90000] ...} when the log processor counts iterations).
 */
final class TrainProgress implements AutoCloseable {
    private final PrintStream out;
    private final int epoch, epochs, planned;
    private final long maxIters;
    private final boolean byEpoch;
    private final ProgressBar bar;
    private double avgIterTime = -1;

    /**
     * @param maxIters iterations of the whole run (the ETA and {@code Iter(train)} lines count them)
     * @param byEpoch  {@code log_processor.by_epoch}: lines count epochs and iterations within them
     */
    TrainProgress(PrintStream out, int epoch, int epochs, int planned, long maxIters, boolean byEpoch) {
        this.out = out;
        this.epoch = epoch;
        this.epochs = epochs;
        this.planned = planned;
        this.maxIters = maxIters;
        this.byEpoch = byEpoch;
        this.bar = System.console() == null ? null : new ProgressBarBuilder()
                .setTaskName("epoch " + (epoch + 1) + "/" + epochs)
                .setInitialMax(planned)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .build();
    }

    void update(int iterInEpoch, Trainer.StepLosses l, double lr, double iterTime, double dataTime) {
        avgIterTime = avgIterTime < 0 ? iterTime : 0.9 * avgIterTime + 0.1 * iterTime;
        if (bar != null) {
            bar.stepTo(iterInEpoch);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f lr %.2e", l.total(), lr));
        }
    }

    /** Python's {@code f'{v:.4f}'}, as LogProcessor formats a value: {@code nan}, {@code inf}, {@code -inf} for non-finite ones. */
    static String pythonFixed4(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return String.format(Locale.ROOT, "%.4f", v);
    }

    /** Seconds left in the whole run at the current pace. */
    private long etaSeconds(long globalIter) {
        return Math.round(Math.max(0, avgIterTime) * Math.max(0, maxIters - globalIter));
    }

    void logLine(int iterInEpoch, long globalIter, Map<String, Object> rec) {
        long eta = etaSeconds(globalIter);
        String where = byEpoch
                ? String.format(Locale.ROOT, "Epoch(train) [%d][%" + Integer.toString(planned).length() + "d/%d]", epoch + 1, iterInEpoch, planned)
                : String.format(Locale.ROOT, "Iter(train) [%" + Long.toString(maxIters).length() + "d/%d]", globalIter, maxIters);
        String grad = rec.get("grad_norm") instanceof Double g ? "  grad_norm: " + pythonFixed4(g) : "";
        String base = rec.get("base_lr") instanceof Double b ? String.format(Locale.ROOT, "  base_lr: %.4e", b) : "";
        String line = String.format(Locale.ROOT,
                "%s%s  lr: %.4e  eta: %d:%02d:%02d  time: %.4f  data_time: %.4f  memory: %d%s  loss: %.4f  loss_pos: %.4f"
                        + "  loss_neg: %.4f  loss_center: %.4f",
                where, base, (double) rec.get("lr"), eta / 3600, eta / 60 % 60, eta % 60,
                (double) rec.get("time"), (double) rec.get("data_time"), (long) rec.get("memory_mb"), grad,
                (double) rec.get("loss"), (double) rec.get("loss_pos"), (double) rec.get("loss_neg"), (double) rec.get("loss_center"));
        if (bar != null) bar.pause();
        out.println(line);
        if (bar != null) bar.resume();
    }

    @Override public void close() {
        if (bar != null) bar.close();
    }
}
