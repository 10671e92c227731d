package autoassign.config;

import java.util.List;

/**
 * {@code param_scheduler}: an optional iteration-based linear warm-up ({@code LinearLR},
 * {@code by_epoch: false}) followed by an epoch-based step decay ({@code MultiStepLR}).
 * lr(i, e) = base · warm(i) · gamma^(number of milestones ≤ e), with warm(i) = start + (1 − start)·min(i − begin,
 * total)/total, total = end − begin − 1 (MMEngine LinearLR), 1 after the warm-up.
 *
 * @param warmupStartFactor LinearLR {@code start_factor} (0.001)
 * @param warmupBegin       first iteration of the warm-up (0)
 * @param warmupEnd         LinearLR {@code end} in iterations (1000); equal to begin when there is no warm-up
 * @param milestones        MultiStepLR epochs after which lr is multiplied by gamma ([8, 11])
 * @param gamma             0.1
 */
public record SchedulerConfig(double warmupStartFactor, int warmupBegin, int warmupEnd, List<Integer> milestones,
                              double gamma) {
    public SchedulerConfig {
        milestones = List.copyOf(milestones);
    }

    public boolean hasWarmup() { return warmupEnd > warmupBegin; }

    static SchedulerConfig from(ConfigNode parent, String key) {
        double start = 1;
        int begin = 0, end = 0;
        List<Integer> milestones = List.of();
        double gamma = 0.1;
        boolean seenLinear = false, seenStep = false;
        for (ConfigNode s : parent.childList(key)) {
            String type = s.choice("type", null, "LinearLR", "MultiStepLR");
            if (type == null) throw s.error("type", "required key is missing");
            if (type.equals("LinearLR")) {
                if (seenLinear) throw s.error("type", "only one LinearLR is supported");
                seenLinear = true;
                if (s.bool("by_epoch", false)) throw s.error("by_epoch", "the warm-up counts iterations: must be false");
                start = s.inRange("start_factor", s.number("start_factor", 1.0 / 3), 0, 1);
                if (s.number("end_factor", 1.0) != 1.0) throw s.error("end_factor", "only 1.0 is supported");
                begin = s.atLeast("begin", s.integer("begin", 0), 0);
                end = s.integer("end", 1000);
                if (end <= begin + 1) throw s.error("end", "must be > begin + 1, got " + end);
            } else {
                if (seenStep) throw s.error("type", "only one MultiStepLR is supported");
                seenStep = true;
                if (!s.bool("by_epoch", true)) throw s.error("by_epoch", "the step decay counts epochs: must be true");
                s.integer("begin", 0);
                s.integer("end", Integer.MAX_VALUE);
                milestones = s.intList("milestones", null);
                if (milestones == null) throw s.error("milestones", "required key is missing");
                for (int i = 0; i < milestones.size(); i++)
                    if (milestones.get(i) <= 0 || (i > 0 && milestones.get(i) <= milestones.get(i - 1)))
                        throw s.error("milestones", "must be positive and strictly increasing, got " + milestones);
                gamma = s.positive("gamma", s.number("gamma", 0.1));
            }
            s.finish();
        }
        return new SchedulerConfig(start, begin, end, milestones, gamma);
    }
}
