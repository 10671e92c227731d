package autoassign.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code schedule} with momentum, OneCycle and ReduceOnPlateau schedulers (the tiny config: 12 epochs of 25 iterations). */
class ScheduleCommandMomentumTest {
    @TempDir Path tmp;

    private CliRun run(String... args) { return CliRun.run(new ScheduleCommand(), args); }

    @Test
    void momentumColumnAndCsv() throws Exception {
        Path csv = tmp.resolve("s.csv");
        CliRun r = run(ScheduleCommandTest.CONFIG, "--dataset-size", "100", "--csv", csv.toString(), "--cfg-options",
                "param_scheduler=[{type: OneCycleLR, eta_max: 0.1, by_epoch: false},"
                        + " {type: MultiStepMomentum, milestones: [6], gamma: 0.5, by_epoch: true}]");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("first mom."), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("7       151-175") && l.contains("0.450000")), r.out());
        List<String> lines = Files.readAllLines(csv);
        assertEquals("iteration,epoch,lr,momentum", lines.get(0));
        String[] first = lines.get(1).split(",");
        assertEquals(0.004, Double.parseDouble(first[2]), 1e-15, "OneCycle starts at eta_max / 25");
        assertEquals("0.9", first[3], "SGD's momentum, the config's value");
        assertEquals(301, lines.size());
    }

    @Test
    void plateauIsShownAsNeverImprovingAndAdamsBeta1IsTheMomentum() throws Exception {
        Path csv = tmp.resolve("p.csv");
        CliRun r = run(ScheduleCommandTest.CONFIG, "--dataset-size", "100", "--csv", csv.toString(), "--cfg-options",
                "optim_wrapper.optimizer={_delete_: true, type: Adam, lr: 0.001, weight_decay: 0.0001}", "train_cfg.val_interval=1",
                "param_scheduler=[{type: ReduceOnPlateauLR, monitor: coco/bbox_mAP, rule: greater, patience: 2},"
                        + " {type: LinearMomentum, start_factor: 0.5, by_epoch: false, end: 10}]");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("ReduceOnPlateau (monitor coco/bbox_mAP): shown as if it never improved"), r.out());
        List<String> lines = Files.readAllLines(csv);
        assertEquals("1,1,0.001,0.45", lines.get(1), "Adam's beta1 0.9 halved");
        // validations 2, 3, 4 do not improve on the 1st: patience 2 is exceeded at the 4th, epoch 5 runs at 1e-4
        assertEquals(0.001, Double.parseDouble(lines.get(4 * 25).split(",")[2]), 1e-18);
        assertEquals(1e-4, Double.parseDouble(lines.get(4 * 25 + 1).split(",")[2]), 1e-18);
    }

    @Test
    void aMomentumSchedulerWithoutMomentumIsAOneLineError() {
        CliRun r = run(ScheduleCommandTest.CONFIG, "--dataset-size", "100", "--cfg-options",
                "param_scheduler=[{type: OneCycleLR, eta_max: 0.1, total_steps: 10, by_epoch: false}]");
        assertNotEquals(0, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("past its total_steps 10"), r.err());
    }
}
