package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMDetection Python configs read without Python: the language subset, helper variables, and the whole recipe. */
class PythonConfigTest {
    static final Path MMDET = Path.of("src/test/resources/mmdet_configs/autoassign/autoassign_r50-caffe_fpn_1x_coco.py");

    @TempDir Path tmp;

    private static JsonNode parse(String text) {
        return PythonConfig.parse("x.py", text);
    }

    @Test
    void theLanguageSubset() throws Exception {
        JsonNode n = parse("""
                # a comment
                a = dict(x=1, y=-2.5e-1, z=(1, 2), w=[3, 'four'], v=None, t=True, f=False)  # trailing comment
                b = {'k': "v", 'n': 1_000}
                c = 'data/' + 'coco/'
                d = [dict(type='A'),
                     dict(type='B', **dict(p=1)),
                     ]
                e = (1,)
                g = 10 * 2 + 3 - 1 // 1 + 0.5 / 2
                h = ('con'
                     'cat')
                i = \\
                    7
                j = [1] + [2]
                k = ()
                """);
        ObjectMapper m = new ObjectMapper();
        assertEquals(m.readTree("{\"x\":1,\"y\":-0.25,\"z\":[1,2],\"w\":[3,\"four\"],\"v\":null,\"t\":true,\"f\":false}"), n.get("a"));
        assertEquals(m.readTree("{\"k\":\"v\",\"n\":1000}"), n.get("b"));
        assertEquals("data/coco/", n.get("c").asText());
        assertEquals(m.readTree("[{\"type\":\"A\"},{\"type\":\"B\",\"p\":1}]"), n.get("d"));
        assertEquals(m.readTree("[1]"), n.get("e"));
        assertEquals(22.25, n.get("g").asDouble());
        assertEquals("concat", n.get("h").asText());
        assertEquals(7, n.get("i").asInt());
        assertEquals(m.readTree("[1,2]"), n.get("j"));
        assertEquals(m.readTree("[]"), n.get("k"));
    }

    @Test
    void helperVariablesAreInlinedAndLeftOutButSectionsStay() {
        JsonNode n = parse("""
                backend_args = None
                data_root = 'd/'
                pipe = [dict(type='LoadImageFromFile', backend_args=backend_args)]
                val_dataloader = dict(dataset=dict(pipeline=pipe, data_root=data_root))
                test_dataloader = val_dataloader
                unused_typo = 3
                """);
        assertFalse(n.has("backend_args") || n.has("pipe"), n.toString());
        assertTrue(n.has("val_dataloader") && n.has("test_dataloader") && n.has("data_root"), n.toString());
        assertEquals("d/", n.at("/test_dataloader/dataset/data_root").asText());
        assertTrue(n.has("unused_typo"), "not used anywhere: kept, so the loader names it as unknown");
    }

    /** YOLOX's config indexes its img_scale tuple: {@code border=(-img_scale[0] // 2, -img_scale[1] // 2)}. */
    @Test
    void indexingAListOrADict() {
        JsonNode n = parse("""
                img_scale = (640, 480)
                d = dict(a=dict(b=[1, 2, 3]))
                model = dict(border=(-img_scale[0] // 2, -img_scale[1] // 2), last=img_scale[-1], nested=d['a']['b'][1] * 10)
                """);
        assertEquals("[-320,-240]", n.at("/model/border").toString());
        assertEquals(480, n.at("/model/last").asInt());
        assertEquals(20, n.at("/model/nested").asInt());
    }

    @Test
    void unsupportedPythonIsAOneLineErrorWithTheLine() {
        String[][] cases = {
                {"from mmengine.config import read_base\n", "line 1: import statements are not supported"},
                {"with read_base():\n    from .._base_.x import *\n", "line 1: 'with' blocks are not supported: MMEngine's new-style configs"},
                {"if '_base_':\n    from .._base_.x import *\n", "line 1: 'if' blocks are not supported"},
                {"a = 1\nb = len([1])\n", "line 2: calls are not supported except dict(...): len(...)"},
                {"a = [i for i in range(3) if i]\n", "line 1: only [x for v in items] comprehensions are supported (one 'for', no 'if')"},
                {"a = {i: 1 for i in range(3)}\n", "line 1: dict comprehensions are not supported"},
                {"a = [i for i, j in []]\n", "line 1: one loop variable only"},
                {"a = [i for i in 3]\n", "line 1: a comprehension iterates over a list or tuple here, got a number"},
                {"a = b\n", "line 1: name 'b' is not defined above"},
                {"a = 1\nf = lambda x: x\n", "line 2: lambda expressions are not supported: write the value"},
                {"a = _base_.model\n", "line 1: _base_.model: this file has no _base_"},
                {"a = b.c\n", "line 1: attribute references (b.x) are not supported"},
                {"a = 'open\n", "line 1: unterminated string"},
                {"a = dict(x=1\nb = 2\n", "line 2: expected ',' or ')' in dict(...)"},
                {"a = 'x' * 'y'\n", "line 1: '*' between a string and a string is not supported"},
                {"a = [1] * 2.5\n", "line 1: '*' between a list and a number is not supported"},
                {"a = 1 ; b = 2\n", "line 1: unexpected character ';'"},
                {"s = (640, 640)\na = s[2]\n", "line 2: index 2 is out of range for 2 items"},
                {"s = (640, 640)\na = s['h']\n", "line 2: indexing a list with a string is not supported"},
        };
        for (String[] c : cases) {
            ConfigException e = assertThrows(ConfigException.class, () -> parse(c[0]), c[0]);
            assertTrue(e.getMessage().startsWith("x.py: " + c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void comprehensionsRangeAndRepetitionAsPython() throws Exception {
        ObjectMapper m = new ObjectMapper();
        var tree = parse("""
                img_scales = [(1333, 800), (666, 400)]
                s = 'not the loop variable'
                tta = [[dict(type='Resize', scale=s, keep_ratio=True) for s in img_scales], [dict(type='RandomFlip', prob=p) for p in [1., 0.]]]
                stages = [dict(w=i * 2) for i in range(1, 4)]
                weights = [1] * 3 + [0.1]
                dashes = '-' * 3
                nested = [[i for i in range(j)] for j in range(3)]
                keep = s
                """);
        assertEquals(m.readTree("[[{\"type\":\"Resize\",\"scale\":[1333,800],\"keep_ratio\":true},"
                + "{\"type\":\"Resize\",\"scale\":[666,400],\"keep_ratio\":true}],"
                + "[{\"type\":\"RandomFlip\",\"prob\":1.0},{\"type\":\"RandomFlip\",\"prob\":0.0}]]"), tree.get("tta"));
        assertEquals(m.readTree("[{\"w\":2},{\"w\":4},{\"w\":6}]"), tree.get("stages"));
        assertEquals(m.readTree("[1,1,1,0.1]"), tree.get("weights"));
        assertEquals("---", tree.get("dashes").asText());
        assertEquals(m.readTree("[[],[0],[0,1]]"), tree.get("nested"));
        assertEquals("not the loop variable", tree.get("keep").asText(), "the loop variable does not leak");
        assertFalse(tree.has("img_scales"), "a helper used by the comprehension is inlined");
    }

    /** MMDetection 3.3's RetinaNet / RTMDet TTA base (a comprehension) under a child that redefines its pipeline. */
    @Test
    void ttaBasesWithComprehensionsAndAChildsOwnTtaPipeline() throws Exception {
        Files.writeString(tmp.resolve("tta.py"), """
                tta_model = dict(
                    type='DetTTAModel',
                    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
                img_scales = [(1333, 800), (666, 400), (2000, 1200)]
                tta_pipeline = [
                    dict(type='LoadImageFromFile', backend_args=None),
                    dict(
                        type='TestTimeAug',
                        transforms=[[
                            dict(type='Resize', scale=s, keep_ratio=True) for s in img_scales
                        ], [
                            dict(type='RandomFlip', prob=1.),
                            dict(type='RandomFlip', prob=0.)
                        ], [dict(type='LoadAnnotations', with_bbox=True)],
                                    [
                                        dict(
                                            type='PackDetInputs',
                                            meta_keys=('img_id', 'img_path', 'ori_shape',
                                                       'img_shape', 'scale_factor', 'flip',
                                                       'flip_direction'))
                                    ]])
                ]
                """);
        var base = ConfigInheritance.resolve(ConfigInheritance.file(tmp.resolve("tta.py")), o -> null);
        assertEquals(3, base.at("/tta_pipeline/1/transforms/0").size(), "one Resize per scale");
        assertEquals(1333, base.at("/tta_pipeline/1/transforms/0/0/scale/0").asInt());
        assertFalse(base.has("img_scales"));
        // a child that redefines tta_pipeline and uses it keeps its own (MMEngine: the child's key wins), and one that
        // only reads the base's keeps the base's
        Path own = Files.writeString(tmp.resolve("own.py"), """
                _base_ = './tta.py'
                tta_pipeline = [dict(type='LoadImageFromFile'), dict(type='TestTimeAug', transforms=[[dict(type='RandomFlip', prob=0.)]])]
                test_dataloader = dict(dataset=dict(pipeline=tta_pipeline))
                """);
        var ownTree = ConfigInheritance.resolve(ConfigInheritance.file(own), o -> null);
        assertEquals(2, ownTree.get("tta_pipeline").size(), ownTree.toString());
        Path reads = Files.writeString(tmp.resolve("reads.py"), "_base_ = './tta.py'\ntest_dataloader = dict(dataset=dict(pipeline=_base_.tta_pipeline))\n");
        var readTree = ConfigInheritance.resolve(ConfigInheritance.file(reads), o -> null);
        assertTrue(readTree.has("tta_pipeline") && readTree.has("tta_model"), readTree.toString());
    }

    @Test
    void mmdetPackageBasesAreTheConfigsFolderAboveTheFile() throws Exception {
        Files.createDirectories(tmp.resolve("mmdetection/configs/_base_"));
        Files.writeString(tmp.resolve("mmdetection/configs/_base_/runtime.py"), "default_scope = 'mmdet'\nwork_dir = 'w'\n");
        Path project = Files.createDirectories(tmp.resolve("mmdetection/projects/x/configs"));
        Path cfg = Files.writeString(project.resolve("a.py"), "_base_ = ['mmdet::_base_/runtime.py']\nlog_level = 'INFO'\n");
        var tree = ConfigInheritance.resolve(ConfigInheritance.file(cfg), o -> null);
        assertEquals("w", tree.get("work_dir").asText());
        Path lone = Files.writeString(tmp.resolve("lone.py"), "_base_ = 'mmdet::_base_/nothing.py'\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigInheritance.resolve(ConfigInheritance.file(lone), o -> null));
        assertTrue(e.getMessage().contains("mmdet::_base_/nothing.py: MMDetection's own config, looked for as configs/_base_/nothing.py"),
                e.getMessage());
    }

    @Test
    void baseReferencesAsMmengine() throws Exception {
        Path base = Files.writeString(tmp.resolve("base.py"), """
                backend_args = None
                scale = (1333, 800)
                train_pipeline = [dict(type='LoadImageFromFile', backend_args=backend_args)]
                model = dict(neck=dict(out_channels=256))
                """);
        Path child = Files.writeString(tmp.resolve("child.py"), """
                # _base_ need not come first
                width = {{_base_.model.neck.out_channels}}
                _base_ = './base.py'
                pipe = _base_.train_pipeline + [dict(type='Resize', scale=_base_.scale, backend=\
                    {{_base_.backend_args}})]
                extra = dict(w=width, pipe=pipe)
                """);
        assertTrue(base.toFile().isFile());
        com.fasterxml.jackson.databind.node.ObjectNode tree = ConfigInheritance.resolve(ConfigInheritance.file(child), o -> {
            throw new AssertionError("no YAML here");
        });
        ObjectMapper m = new ObjectMapper();
        assertEquals(256, tree.at("/extra/w").asInt());
        assertEquals(m.readTree("[{\"type\":\"LoadImageFromFile\",\"backend_args\":null},{\"type\":\"Resize\",\"scale\":[1333,800],\"backend\":null}]"),
                tree.at("/extra/pipe"));
        assertFalse(tree.has("backend_args") || tree.has("train_pipeline") || tree.has("scale") || tree.has("width"),
                "helpers of both files left out: " + tree);
        assertTrue(tree.has("model"), "the base's sections stay");
        Path bad = Files.writeString(tmp.resolve("bad.py"), "_base_ = './base.py'\nx = {{_base_.nothing}}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigInheritance.resolve(ConfigInheritance.file(bad), o -> null));
        assertTrue(e.getMessage().endsWith("line 2: _base_.nothing is not defined by the base files"), e.getMessage());
        Path none = Files.writeString(tmp.resolve("none.py"), "x = _base_.a\n");
        e = assertThrows(ConfigException.class, () -> ConfigInheritance.resolve(ConfigInheritance.file(none), o -> null));
        assertTrue(e.getMessage().endsWith("line 1: _base_.a: this file has no _base_"), e.getMessage());
    }

    @Test
    void mmdetectionsAutoAssignConfigGivesTheRecipeOfTheYaml() {
        Config py = ConfigLoader.load(MMDET);
        Config yaml = ConfigLoader.load(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        assertEquals(yaml.model(), py.model());
        assertEquals(yaml.dataRoot(), py.dataRoot());
        assertEquals(yaml.trainDataloader(), py.trainDataloader());
        assertEquals(yaml.valDataloader(), py.valDataloader());
        assertEquals(yaml.valDataloader(), py.testDataloader(), "test_dataloader = val_dataloader");
        assertEquals(yaml.optimWrapper(), py.optimWrapper(), "lr 0.01 merged into the base's SGD, norm_decay_mult 0");
        assertEquals(yaml.paramScheduler(), py.paramScheduler(), "the child's list replaces the base's (warm-up 1000, not 500)");
        assertEquals(yaml.runtime(), py.runtime());
        assertEquals(yaml.autoScaleLr(), py.autoScaleLr());
        // MMDetection writes the evaluator's file with data_root in front (it is not joined to data_root there)
        assertEquals("data/coco/" + yaml.valEvaluator().annFile(), py.valEvaluator().annFile());
        assertEquals(yaml.valEvaluator().metric(), py.valEvaluator().metric());
    }

    @Test
    void aCustomDatasetConfigInMmdetectionsStyle() throws Exception {
        Path base = tmp.resolve("base");
        Files.createDirectories(base.resolve("autoassign"));
        try (var files = Files.walk(MMDET.getParent().getParent())) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                Path to = base.resolve(MMDET.getParent().getParent().relativize(p));
                Files.createDirectories(to.getParent());
                Files.copy(p, to);
            }
        }
        Path mine = Files.writeString(base.resolve("autoassign/balloon.py"), """
                _base_ = './autoassign_r50-caffe_fpn_1x_coco.py'
                data_root = 'data/balloon/'
                metainfo = dict(classes=('balloon', ), palette=[(220, 20, 60)])
                model = dict(bbox_head=dict(num_classes=1))
                train_dataloader = dict(
                    batch_size=1,
                    dataset=dict(data_root=data_root, metainfo=metainfo,
                                 ann_file='train/annotation_coco.json', data_prefix=dict(img='train/')))
                val_dataloader = dict(
                    dataset=dict(data_root=data_root, metainfo=metainfo,
                                 ann_file='val/annotation_coco.json', data_prefix=dict(img='val/')))
                test_dataloader = val_dataloader
                val_evaluator = dict(ann_file=data_root + 'val/annotation_coco.json')
                test_evaluator = val_evaluator
                load_from = 'checkpoints/autoassign_r50-caffe_fpn_1x_coco.pth'
                """);
        Config c = ConfigLoader.load(mine);
        assertEquals(1, c.model().bboxHead().numClasses());
        assertEquals(List.of("balloon"), c.trainDataloader().dataset().classes());
        assertEquals("train/annotation_coco.json", c.trainDataloader().dataset().annFile());
        assertEquals(1, c.trainDataloader().batchSize());
        assertEquals(List.of("balloon"), c.testDataloader().dataset().classes());
        assertEquals("checkpoints/autoassign_r50-caffe_fpn_1x_coco.pth", c.runtime().loadFrom());
        assertEquals(ConfigLoader.load(MMDET).model().backbone(), c.model().backbone());
    }
}
