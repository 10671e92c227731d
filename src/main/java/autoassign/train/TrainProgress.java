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
 * ({@code Epoch(train) [1][ 10/80]  lr: ...  eta: ...  time: ...  data_time: ...  memory: ...  loss: ...}).
 */
final class TrainProgress implements AutoCloseable {
    private final PrintStream out;
    private final int epoch, epochs, planned;
    private final ProgressBar bar;
    private double avgIterTime = -1;

    TrainProgress(PrintStream out, int epoch, int epochs, int planned) {
        this.out = out;
        this.epoch = epoch;
        this.epochs = epochs;
        this.planned = planned;
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

    /** Seconds left in the whole run at the current pace. */
    private long etaSeconds(int iterInEpoch) {
        long left = (long) (planned - iterInEpoch) + (long) (epochs - epoch - 1) * planned;
        return Math.round(Math.max(0, avgIterTime) * left);
    }

    void logLine(int iterInEpoch, long globalIter, Map<String, Object> rec) {
        long eta = etaSeconds(iterInEpoch);
        String line = String.format(Locale.ROOT,
                "Epoch(train) [%d][%" + Integer.toString(planned).length() + "d/%d]  lr: %.4e  eta: %d:%02d:%02d  time: %.4f"
                        + "  data_time: %.4f  memory: %d  loss: %.4f  loss_pos: %.4f  loss_neg: %.4f  loss_center: %.4f",
                epoch + 1, iterInEpoch, planned, (double) rec.get("lr"), eta / 3600, eta / 60 % 60, eta % 60,
                (double) rec.get("time"), (double) rec.get("data_time"), (long) rec.get("memory_mb"),
                (double) rec.get("loss"), (double) rec.get("loss_pos"), (double) rec.get("loss_neg"), (double) rec.get("loss_center"));
        if (bar != null) bar.pause();
        out.println(line);
        if (bar != null) bar.resume();
    }

    @Override public void close() {
        if (bar != null) bar.close();
    }
}
