package autoassign.cli;

import autoassign.model.AutoAssignDetector;
import autoassign.model.Complexity;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMEngine's {@code _format_size} and the layout of its complexity table. */
class ComplexityTableTest {

    @Test
    void formatSizeAsMmengine() {
        assertEquals("36.426M", ComplexityTable.formatSize(36_426_458));
        assertEquals("0.191T", ComplexityTable.formatSize(191_400_000_000L), "above 1e11 is T");
        assertEquals("99.808G", ComplexityTable.formatSize(99_808_000_000L));
        assertEquals("100", ComplexityTable.formatSize(100));
        assertEquals("0.101K", ComplexityTable.formatSize(101));
        assertEquals("2.5K", ComplexityTable.formatSize(2_500));
        assertEquals("1M", ComplexityTable.formatSize(1_000_000));
        // 1000500 / 1e6 is 1.000499999… in binary: Python's '{:.3f}' gives 1.000 (a decimal half-up would give 1.001)
        assertEquals("1M", ComplexityTable.formatSize(1_000_500));
        assertEquals("0", ComplexityTable.formatSize(0));
        assertEquals("1.2P", ComplexityTable.formatSize(1_200_000_000_000_000L));
    }

    @Test
    void shapesArePythonTuples() {
        assertEquals("(256, 3, 3, 3)", ComplexityTable.pythonTuple(new int[] {256, 3, 3, 3}));
        assertEquals("(80,)", ComplexityTable.pythonTuple(new int[] {80}));
        assertEquals("()", ComplexityTable.pythonTuple(new int[0]));
    }

    @Test
    void pipeTableColumnsAreAtLeastTheHeaderPlusTwo() {
        String t = ComplexityTable.pipeTable(new String[] {"module", "#flops"}, List.of(new String[] {"model", "1.5K"},
                new String[] {" a.long.name", " 3"}));
        assertEquals("""
                | module       | #flops   |
                |:-------------|:---------|
                | model        | 1.5K     |
                |  a.long.name |  3       |
                """, t);
    }

    @Test
    void singleChildChainsCollapseAndUncalledModulesHaveNoFlops() {
        AutoAssignDetector m = FlopsCommandTest.tinyModel();
        Complexity.Flops f = Complexity.flops(m, 128, 128);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        m.namedParameters().forEach((k, t) -> shapes.put(k, t.shape()));
        List<String> rows = ComplexityTable.render(f, Complexity.parameterCounts(m), shapes, 3).lines().toList();
        // a ConvModule with only a conv is shown as the conv (same numbers), one level down the lists
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("|    neck.lateral_convs.0.conv ")), String.join("\n", rows));
        assertTrue(rows.stream().noneMatch(r -> r.startsWith("|    neck.lateral_convs.0 ")));
        // parameters appear as shapes; the center prior (loss only) has parameters but an empty flops cell
        assertTrue(rows.stream().anyMatch(r -> r.matches("\\|    backbone\\.conv1\\.weight +\\|    \\(16, 3, 7, 7\\) +\\| +\\|")),
                String.join("\n", rows));
        String prior = rows.stream().filter(r -> r.startsWith("|   bbox_head.center_prior ")).findFirst().orElseThrow();
        assertTrue(prior.matches("\\|   bbox_head\\.center_prior +\\|   16 +\\| +\\|"), prior);
        String model = rows.get(2);
        assertTrue(model.startsWith("| model ") && model.contains(ComplexityTable.formatSize(f.total())), model);
    }
}
