package autoassign.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VisualizerConfigTest {
    static Config parse(String extra) throws Exception {
        return ConfigLoader.parse(Files.readString(ConfigLoaderTest.R50) + "\n" + extra, "configs/x.yaml");
    }

    static String fails(String extra) {
        return assertThrows(ConfigException.class, () -> parse(extra)).getMessage();
    }

    @Test
    void mmdetectionsTensorboardLinesAreRead() throws Exception {
        Config c = parse("""
                vis_backends: [{type: LocalVisBackend}, {type: TensorboardVisBackend}]
                visualizer:
                  type: DetLocalVisualizer
                  vis_backends: [{type: LocalVisBackend}, {type: TensorboardVisBackend}]
                  name: visualizer
                """);
        VisualizerConfig v = c.visualizer();
        assertEquals("DetLocalVisualizer", v.type());
        assertEquals("visualizer", v.name());
        assertEquals(List.of(new VisualizerConfig.Backend("LocalVisBackend", null),
                new VisualizerConfig.Backend("TensorboardVisBackend", null)), v.backends());
        assertTrue(v.tensorboard());
        assertTrue(v.tensorboardDirInWorkDir());
        assertEquals(Path.of("work_dirs/x/vis_data"), v.tensorboardDir(Path.of("work_dirs/x")));
    }

    @Test
    void saveDirsPlaceTheEventFilesAsMmengineDoes() throws Exception {
        VisualizerConfig own = parse("visualizer: {type: Visualizer, vis_backends: [{type: TensorboardVisBackend, "
                + "save_dir: tb/run1, name: tb}]}").visualizer();
        assertEquals(Path.of("tb/run1"), own.tensorboardDir(Path.of("w")));
        assertFalse(own.tensorboardDirInWorkDir());
        VisualizerConfig parent = parse("visualizer: {save_dir: logs, vis_backends: {type: TensorboardVisBackend}}")
                .visualizer();
        assertEquals(Path.of("logs/vis_data"), parent.tensorboardDir(Path.of("w")), "one mapping is one backend");
    }

    @Test
    void withoutTensorboardNothingMore() throws Exception {
        assertEquals(VisualizerConfig.DEFAULT, parse("").visualizer());
        assertFalse(parse("").visualizer().tensorboard());
        VisualizerConfig local = parse("visualizer: {type: DetLocalVisualizer, vis_backends: [{type: LocalVisBackend}], "
                + "name: visualizer}").visualizer();
        assertFalse(local.tensorboard());
        assertNull(local.tensorboardDir(Path.of("w")));
    }

    @Test
    void otherBackendsAreOneLineErrorsNamingTheKey() {
        String m = fails("visualizer: {type: DetLocalVisualizer, vis_backends: [{type: LocalVisBackend}, "
                + "{type: WandbVisBackend, init_kwargs: {project: x}}]}");
        assertEquals("configs/x.yaml: visualizer.vis_backends[1].type: only LocalVisBackend (metrics.jsonl) and "
                + "TensorboardVisBackend are supported, got 'WandbVisBackend'", m);
        assertFalse(m.contains("\n"));
        assertTrue(fails("visualizer: {vis_backends: [{type: MLflowVisBackend}]}").contains("got 'MLflowVisBackend'"));
        assertTrue(fails("visualizer: {type: SegLocalVisualizer}").startsWith("configs/x.yaml: visualizer.type: must be one of"));
        assertTrue(fails("visualizer: {vis_backends: [{type: LocalVisBackend, save_dir: x}]}")
                .startsWith("configs/x.yaml: visualizer.vis_backends[0].save_dir: not supported"));
        assertTrue(fails("visualizer: {vis_backends: [{type: TensorboardVisBackend}, {type: TensorboardVisBackend}]}")
                .contains("visualizer.vis_backends[1].type: TensorboardVisBackend is given twice"));
        assertTrue(fails("visualizer: {vis_backends: [{type: TensorboardVisBackend, flush_secs: 10}]}")
                .contains("visualizer.vis_backends[0].flush_secs: unknown key"));
        assertTrue(fails("visualizer: {line_width: 3}").contains("visualizer.line_width: unknown key"));
    }

    @Test
    void aPythonConfigTurnsTensorboardOnAsMmdetectionsDocsSay(@TempDir Path tmp) throws Exception {
        Path mine = Files.writeString(tmp.resolve("tb.py"), "_base_ = '" + PythonConfigTest.MMDET.toAbsolutePath() + "'\n"
                + "vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]\n"
                + "visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')\n");
        VisualizerConfig v = ConfigLoader.load(mine).visualizer();
        assertTrue(v.tensorboard());
        assertEquals(Path.of("w/vis_data"), v.tensorboardDir(Path.of("w")));
    }

    @Test
    void everyShippedConfigStillLoads() throws Exception {
        try (var files = Files.list(Path.of("configs"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".yaml")).toList())
                assertFalse(ConfigLoader.load(p).visualizer().tensorboard(), p.toString());
        }
        Config py = ConfigLoader.load(Path.of("src/test/resources/mmdet_configs/autoassign/autoassign_r50-caffe_fpn_1x_coco.py"));
        assertEquals("DetLocalVisualizer", py.visualizer().type());
        assertEquals(List.of(new VisualizerConfig.Backend("LocalVisBackend", null)), py.visualizer().backends());
    }
}
