package autoassign.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The progress bars of the commands that walk over images or frames (mmengine's track_iter_progress), on stderr. */
final class ProgressBars {
    private ProgressBars() {}

    /** A bar named {@code task} over {@code total} items (unknown when ≤ 0), counted in {@code unit}. */
    static ProgressBar of(String task, int total, String unit) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(total > 0 ? total : -1)
                .setUnit(" " + unit, 1).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setStyle(System.console() == null ? ProgressBarStyle.ASCII : ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .build();
    }
}
