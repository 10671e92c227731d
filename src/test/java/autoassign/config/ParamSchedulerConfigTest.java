package autoassign.config;

import autoassign.config.SchedulerConfig.Param;
import autoassign.config.SchedulerConfig.Rule;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code param_scheduler} entries beyond the LR ones: momentum schedulers, generic forms, OneCycle, ReduceOnPlateau. */
class ParamSchedulerConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The {@code param_scheduler} list given as JSON, read as a config's. */
    static SchedulerConfig parse(String listJson) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.set("param_scheduler", JSON.readTree(listJson));
        return SchedulerConfig.from(new ConfigNode("test.yaml", "", root), "param_scheduler");
    }

    /** The one-line config error the list gives. */
    static String error(String listJson) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(listJson));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void momentumAndGenericFormsNameTheirParameter() throws Exception {
        SchedulerConfig c = parse("""
                [{"type": "LinearMomentum", "start_factor": 0.9, "by_epoch": false, "end": 10},
                 {"type": "mmengine.CosineAnnealingParamScheduler", "param_name": "lr", "T_max": 5},
                 {"type": "StepParamScheduler", "param_name": "momentum", "step_size": 2},
                 {"type": "mmdet.QuadraticWarmupMomentum", "end": 3},
                 {"type": "ExponentialLR", "gamma": 0.9}]""");
        assertEquals(List.of(Param.MOMENTUM, Param.LR, Param.MOMENTUM, Param.MOMENTUM, Param.LR),
                c.entries().stream().map(SchedulerConfig.Entry::param).toList());
        assertEquals(List.of("LinearMomentum", "CosineAnnealingLR", "StepMomentum", "QuadraticWarmupMomentum", "ExponentialLR"),
                c.entries().stream().map(SchedulerConfig.Entry::typeName).toList());
        assertTrue(c.schedulesMomentum());
        assertEquals(new Rule.Linear(0.9, 1.0), c.entries().get(0).rule());
        assertTrue(!parse("[{\"type\": \"LinearLR\"}]").schedulesMomentum());
    }

    @Test
    void paramNameMustBeLrOrMomentum() {
        assertTrue(error("[{\"type\": \"LinearParamScheduler\", \"param_name\": \"weight_decay\"}]")
                .contains("param_scheduler[0].param_name: must be one of lr, momentum, got 'weight_decay'"));
        assertTrue(error("[{\"type\": \"LinearParamScheduler\"}]").contains("param_scheduler[0].param_name: required"));
        // a *LR / *Momentum class takes no param_name (MMEngine: multiple values for argument)
        assertTrue(error("[{\"type\": \"LinearLR\", \"param_name\": \"lr\"}]").contains("param_name"));
        assertTrue(error("[{\"type\": \"OneCycleParamScheduler\", \"param_name\": \"momentum\", \"eta_max\": 0.1}]")
                .contains("OneCycle only works for learning rate updating"));
        assertTrue(error("[{\"type\": \"OneCycleMomentum\", \"eta_max\": 0.1}]").contains("param_scheduler[0].type: must be one of"));
    }

    @Test
    void oneCycleDefaultsAndChecks() throws Exception {
        SchedulerConfig c = parse("[{\"type\": \"OneCycleLR\", \"eta_max\": 0.1, \"by_epoch\": false}]");
        assertEquals(new Rule.OneCycle(0.1, null, 0.3, true, 25, 1e4, false), c.entries().get(0).rule());
        c = parse("""
                [{"type": "OneCycleLR", "eta_max": 0.1, "total_steps": 100, "pct_start": 0.25, "anneal_strategy": "linear",
                  "div_factor": 10, "final_div_factor": 100, "three_phase": true}]""");
        assertEquals(new Rule.OneCycle(0.1, 100, 0.25, false, 10, 100, true), c.entries().get(0).rule());
        assertTrue(error("[{\"type\": \"OneCycleLR\"}]").contains("eta_max: required"));
        assertTrue(error("[{\"type\": \"OneCycleLR\", \"eta_max\": [0.1, 0.2]}]").contains("a list per group is not supported"));
        assertTrue(error("[{\"type\": \"OneCycleLR\", \"eta_max\": 0.1, \"total_steps\": 0}]")
                .contains("Expected positive integer total_steps, but got 0"));
        assertTrue(error("[{\"type\": \"OneCycleLR\", \"eta_max\": 0.1, \"pct_start\": 1}]")
                .contains("Expected float between 0 and 1 pct_start, but got 1"));
        assertTrue(error("[{\"type\": \"OneCycleLR\", \"eta_max\": 0.1, \"pct_start\": 1.5}]").contains("pct_start"));
        assertTrue(error("[{\"type\": \"OneCycleLR\", \"eta_max\": 0.1, \"anneal_strategy\": \"exp\"}]").contains("anneal_strategy"));
    }

    @Test
    void reduceOnPlateauDefaultsAndChecks() throws Exception {
        SchedulerConfig c = parse("[{\"type\": \"ReduceOnPlateauLR\"}, {\"type\": \"ReduceOnPlateauMomentum\", \"monitor\": "
                + "\"coco/bbox_mAP\", \"rule\": \"greater\", \"factor\": 0.5, \"patience\": 2, \"threshold\": 0.01, "
                + "\"threshold_rule\": \"abs\", \"cooldown\": 1, \"min_value\": 0.8, \"eps\": 0}]");
        assertEquals(new Rule.ReduceOnPlateau("loss", false, 0.1, 10, 1e-4, false, 0, 0, 1e-8), c.entries().get(0).rule());
        assertEquals(new Rule.ReduceOnPlateau("coco/bbox_mAP", true, 0.5, 2, 0.01, true, 1, 0.8, 0), c.entries().get(1).rule());
        assertTrue(c.needsMetrics());
        assertTrue(error("[{\"type\": \"ReduceOnPlateauLR\", \"factor\": 1.0}]").contains("Factor should be < 1.0."));
        assertTrue(error("[{\"type\": \"ReduceOnPlateauLR\", \"by_epoch\": false}]").contains("only supports by_epoch: true"));
        assertTrue(error("[{\"type\": \"ReduceOnPlateauLR\", \"convert_to_iter_based\": true}]").contains("cannot be converted"));
        assertTrue(error("[{\"type\": \"ReduceOnPlateauLR\", \"threshold\": -1}]").contains("should be >= 0"));
        assertTrue(error("[{\"type\": \"ReduceOnPlateauLR\", \"rule\": \"min\"}]").contains("param_scheduler[0].rule: must be one of less, greater"));
        assertTrue(error("[{\"type\": \"ReduceOnPlateauLR\", \"threshold_rule\": \"x\"}]").contains("threshold_rule"));
        assertTrue(error("[{\"type\": \"ReduceOnPlateauLR\", \"min_value\": [0.1]}]").contains("a list per group is not supported"));
        assertTrue(error("[{\"type\": \"ReduceOnPlateauLR\", \"mode\": \"min\"}]").contains("mode"));
    }
}
