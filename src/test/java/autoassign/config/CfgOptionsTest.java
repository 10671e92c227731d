package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code --cfg-options} as MMEngine 0.10: values by {@code DictAction}'s rules, keys merged as
 * {@code Config.merge_from_dict(allow_list_keys=True)}; the expected values are what MMEngine's code gives.
 */
class CfgOptionsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Path R50 = ConfigLoaderTest.R50;
    /** MMDetection's own Python files of the recipe (its dataset base has {@code test_dataloader = val_dataloader}). */
    static final Path PY = Path.of("src/test/resources/mmdet_configs/autoassign/autoassign_r50-caffe_fpn_1x_coco.py");

    private static JsonNode v(String text) { return CfgOptions.value(text); }

    private static JsonNode json(String text) throws Exception { return JSON.readTree(text); }

    /** The merged tree of a loaded config (its text). */
    private static JsonNode tree(Config c) throws Exception { return YAML.readTree(c.text()); }

    private static ObjectNode applied(String yaml, String... overrides) throws Exception {
        ObjectNode root = (ObjectNode) YAML.readTree(yaml);
        CfgOptions.apply(root, List.of(overrides), "t.yaml");
        return root;
    }

    private static ConfigException refused(String yaml, String... overrides) {
        return assertThrows(ConfigException.class, () -> applied(yaml, overrides));
    }

    @Test
    void scalarsAsDictAction() throws Exception {
        assertEquals(json("4"), v("4"));
        assertTrue(v("4").isInt());
        assertEquals(json("0.02"), v("0.02"));
        assertEquals(0.001, v("1e-3").doubleValue()); // float('1e-3')
        assertEquals(json("10"), v("010"), "int('010') is 10 (YAML 1.1 would read octal 8)");
        assertEquals(json("1000"), v("1_000"));
        assertEquals(json("-3"), v("-3"));
        assertEquals(json("\"0x10\""), v("0x10"), "int() and float() refuse it: a string (YAML: 16)");
        assertEquals(0.5, v(".5").doubleValue());
        assertEquals(5.0, v("5.").doubleValue());
        assertTrue(v("5.").isDouble());
        assertEquals(Double.POSITIVE_INFINITY, v("inf").doubleValue());
        assertEquals(Double.NEGATIVE_INFINITY, v("-Infinity").doubleValue());
        assertTrue(Double.isNaN(v("nan").doubleValue()));
        assertEquals(json("\".inf\""), v(".inf"));
        for (String t : List.of("True", "true", "TRUE", "tRuE")) assertEquals(json("true"), v(t), t);
        for (String f : List.of("False", "false", "FALSE")) assertEquals(json("false"), v(f), f);
        assertTrue(v("None").isNull());
        // not None, not bools in MMEngine: strings (YAML read null, ~, yes, no, on as null / bools)
        for (String s : List.of("none", "null", "NULL", "~", "yes", "no", "on", "off", "caffe", "coco/bbox_mAP_50"))
            assertEquals(s, v(s).textValue(), s);
        assertEquals("", v("").textValue(), "an empty value is the empty string (YAML: null)");
        assertEquals("work_dirs/x/epoch_12.pth", v("work_dirs/x/epoch_12.pth").textValue());
        assertEquals("/data/coco/", v("/data/coco/").textValue());
        assertEquals("x", v("'x'").textValue(), "quotes are stripped");
        assertEquals("x", v("\"x\"").textValue());
        assertEquals("mydir", v("my dir").textValue(), "DictAction removes every space");
    }

    @Test
    void iterablesAsDictAction() throws Exception {
        assertEquals(json("[512,512]"), v("(512,512)"), "a tuple: a list here (YAML: the string '(512,512)')");
        assertEquals(json("[512,512]"), v("(512, 512)"));
        assertEquals(json("[1333,800]"), v("1333,800"), "a comma makes a list (YAML: the string '1333,800')");
        assertEquals(json("[16,22]"), v("[16,22]"));
        assertEquals(json("[16,22]"), v("[16, 22]"));
        assertEquals(json("[\"a\",\"b\"]"), v("['a','b']"));
        assertEquals(json("[\"a\",\"b\"]"), v("\"(a,b)\""), "quotes around the value are stripped, then a tuple");
        assertEquals(json("[\"a\",\"b\"]"), v("(a,b)"));
        assertEquals(json("[[1,2,3],[\"a\",\"b\"],\"c\"]"), v("[(1, 2, 3), [a, b], c]"), "DictAction's docstring example");
        assertEquals(json("[[3,1],[2,1]]"), v("[[3, 1], [2, 1]]"));
        assertEquals(json("[]"), v("[]"));
        assertEquals(json("[]"), v("()"));
        assertEquals(json("[true,null,\"x\",0.5]"), v("[True,None,x,0.5]"));
        assertEquals(json("[\"person\",\"car\"]"), v("person,car"));
        ConfigException e = refused("a: 1\n", "a=[1,(2]");
        assertTrue(e.getMessage().startsWith("t.yaml: a: override value '[1,(2]': imbalanced brackets"), e.getMessage());
        // MMEngine recurses without end on this one; here a one-line error
        assertTrue(refused("a: 1\n", "a=(1,2),(3,4)").getMessage().contains("brackets do not pair up"));
    }

    @Test
    void yamlMappingsStayThisEnginesSyntax() throws Exception {
        assertEquals(json("{\"_delete_\":true,\"type\":\"VOCMetric\"}"), v("{_delete_: true, type: VOCMetric}"));
        assertEquals(json("[{\"type\":\"MultiStepLR\",\"milestones\":[2,4]}]"), v("[{type: MultiStepLR, milestones: [2, 4]}]"));
        assertTrue(refused("a: 1\n", "a={b: [1, 2}").getMessage().contains("is not a valid YAML mapping or list"));
    }

    /** The brief's typical command line, one override at a time, against the YAML recipe. */
    @Test
    void typicalOverridesOfTheYamlRecipe() throws Exception {
        Config c = ConfigLoader.load(R50, List.of("train_dataloader.batch_size=4", "optim_wrapper.optimizer.lr=0.02",
                "model.test_cfg.score_thr=0.3", "load_from=work_dirs/x/epoch_12.pth", "train_cfg.max_epochs=24",
                "default_hooks.checkpoint.interval=2", "model.backbone.init_cfg=None", "env_cfg.cudnn_benchmark=True",
                "work_dir=work_dirs/run1", "randomness.seed=0", "param_scheduler.1.milestones=[16,22]",
                "param_scheduler.1.end=24", "train_dataloader.dataset.pipeline.2.scale=(512,512)"));
        assertEquals(4, c.trainDataloader().batchSize());
        assertEquals(0.02, c.optimWrapper().lr());
        assertEquals(0.3, c.model().testCfg().scoreThr());
        assertEquals("work_dirs/x/epoch_12.pth", c.runtime().loadFrom());
        assertEquals(24, c.runtime().maxEpochs());
        assertEquals(2, c.runtime().checkpointInterval());
        assertNull(c.model().backbone().pretrained(), "init_cfg=None: no pretrained weights (YAML read the string 'None')");
        assertTrue(c.runtime().cudnnBenchmark());
        assertEquals("work_dirs/run1", c.runtime().workDir());
        assertEquals(0, c.runtime().seed());
        assertEquals(List.of(512, 512), c.trainDataloader().dataset().pipeline().scale());
        assertEquals(new SchedulerConfig.Rule.MultiStep(List.of(16, 22), 0.1), c.paramScheduler().entries().get(1).rule());
        assertInstanceOf(SchedulerConfig.Rule.Linear.class, c.paramScheduler().entries().get(0).rule(), "entry 0 untouched");
        JsonNode t = tree(c);
        JsonNode pipe = t.at("/train_dataloader/dataset/pipeline");
        assertEquals(5, pipe.size(), "one element merged into, none added");
        assertEquals(json("{\"type\":\"Resize\",\"scale\":[512,512],\"keep_ratio\":true}"), pipe.get(2));
        assertEquals(json("[1333,800]"), t.at("/val_dataloader/dataset/pipeline/1/scale"), "the val pipeline is another list");
        assertEquals(json("{\"type\":\"MultiStepLR\",\"by_epoch\":true,\"begin\":0,\"end\":24,\"milestones\":[16,22],\"gamma\":0.1}"),
                t.at("/param_scheduler/1"));
        assertTrue(t.at("/model/backbone/init_cfg").isNull());

        Config n = ConfigLoader.load(R50, List.of("model.bbox_head.num_classes=3", "train_dataloader.dataset.metainfo.classes=['a','b','c']",
                "val_dataloader.dataset.metainfo.classes=\"(a,b,c)\""));
        assertEquals(3, n.model().bboxHead().numClasses());
        assertEquals(List.of("a", "b", "c"), n.trainDataloader().dataset().classes());
        assertEquals(List.of("a", "b", "c"), n.valDataloader().dataset().classes());
    }

    /** The same against MMDetection's Python files, where data_root is a helper the strings were built from. */
    @Test
    void typicalOverridesOfThePythonRecipe() throws Exception {
        Config base = ConfigLoader.load(PY);
        Config c = ConfigLoader.load(PY, List.of("data_root=/data/coco/", "train_dataloader.dataset.pipeline.2.scale=(512,512)",
                "val_dataloader.num_workers=5", "model.backbone.init_cfg=None"));
        JsonNode t = tree(c);
        assertEquals("/data/coco/", t.get("data_root").textValue());
        // as MMEngine: data_root + '...' was computed when the file was read; the override does not reach those strings
        assertEquals("data/coco/", t.at("/train_dataloader/dataset/data_root").textValue());
        assertEquals("data/coco/annotations/instances_val2017.json", t.at("/val_evaluator/ann_file").textValue());
        assertEquals(base.valEvaluator().annFile(), c.valEvaluator().annFile());
        assertEquals(List.of(512, 512), c.trainDataloader().dataset().pipeline().scale());
        assertEquals(json("[1333,800]"), t.at("/val_dataloader/dataset/pipeline/1/scale"));
        // test_dataloader = val_dataloader: two keys in MMEngine's ConfigDict, an override of one leaves the other
        assertEquals(5, c.valDataloader().numWorkers());
        assertEquals(2, c.testDataloader().numWorkers());
        assertNull(c.model().backbone().pretrained());
        assertNotNull(base.model().backbone().pretrained());
    }

    @Test
    void deleteInsideOverrides() throws Exception {
        // MMEngine gathers all options into one dict before merging: a separate _delete_ key replaces the mapping
        Config c = ConfigLoader.load(R50, List.of("optim_wrapper.optimizer._delete_=True", "optim_wrapper.optimizer.type=SGD",
                "optim_wrapper.optimizer.lr=0.1", "optim_wrapper.optimizer.weight_decay=0.0005"));
        assertEquals(0.1, c.optimWrapper().lr());
        assertEquals(0.0, c.optimWrapper().momentum(), "the recipe's momentum 0.9 is gone");
        assertEquals(0.0005, c.optimWrapper().weightDecay());
        assertFalse(c.text().contains("_delete_"), c.text());
        // without it, keys merge
        assertEquals(0.9, ConfigLoader.load(R50, List.of("optim_wrapper.optimizer.lr=0.1")).optimWrapper().momentum());
        // false (Python's falsy values) merges
        assertEquals(json("{\"a\":1,\"b\":2}"), applied("x: {a: 1}\n", "x._delete_=False", "x.b=2").get("x"));
        assertEquals(json("{\"a\":1,\"b\":2}"), applied("x: {a: 1}\n", "x._delete_=0", "x.b=2").get("x"));
        assertEquals(json("{\"b\":2}"), applied("x: {a: 1}\n", "x._delete_=1", "x.b=2").get("x"));
        // the YAML mapping form, as before
        assertEquals(json("{\"b\":2}"), applied("x: {a: 1}\n", "x={_delete_: true, b: 2}").get("x"));
        assertEquals(json("{\"a\":1,\"b\":2}"), applied("x: {a: 1}\n", "x={b: 2}").get("x"));
        // a repeated key: the last value wins
        assertEquals(json("3"), applied("x: 1\n", "x=2", "x=3").get("x"));
    }

    @Test
    void listKeysAndTheirErrorsAsMergeFromDict() throws Exception {
        String yaml = "p: [{type: A, s: 1}, {type: B}]\nm: [8, 11]\ns: str\nn: null\nd: {k: 1}\n";
        ObjectNode r = applied(yaml, "p.1.s=(2,3)", "p.0.s=5");
        assertEquals(json("[{\"type\":\"A\",\"s\":5},{\"type\":\"B\",\"s\":[2,3]}]"), r.get("p"));
        assertEquals(json("{\"k\":1,\"2\":5}"), applied(yaml, "d.2=5").get("d"), "a number key in a mapping is a key");
        assertEquals(json("{\"x\":{\"y\":1}}"), applied(yaml, "new.x.y=1").get("new"), "absent keys are created");
        assertEquals(json("[{\"type\":\"C\"},{\"type\":\"B\"}]"), applied(yaml, "p.0={_delete_: true, type: C}").get("p"));
        assertEquals(json("{\"a\":1}"), applied(yaml, "m._delete_=True", "m.a=1").get("m"), "_delete_ replaces a list too");
        ConfigException e = refused(yaml, "p.2.s=1");
        assertEquals("p.2", e.key());
        assertTrue(e.getMessage().contains("index 2 exceeds the length of the list (2 elements)"), e.getMessage());
        assertTrue(refused(yaml, "p.type=C").getMessage().contains("'p' is a list: only a number can index it, not 'type'"));
        assertTrue(refused(yaml, "p.-1.s=1").getMessage().contains("only a number can index it, not '-1'"));
        assertTrue(refused(yaml, "m.0=5").getMessage().contains("a list element cannot be replaced whole"));
        assertTrue(refused(yaml, "p.0=5").getMessage().contains("a list element cannot be replaced whole"));
        e = refused(yaml, "s.x=1");
        assertEquals("t.yaml: s: cannot merge a mapping into the string 'str' (as MMEngine); set s._delete_=True to replace it",
                e.getMessage());
        assertTrue(refused(yaml, "n.x=1").getMessage().contains("cannot merge a mapping into None"), "None too, as MMEngine");
        assertEquals(json("{\"x\":1}"), applied(yaml, "n._delete_=True", "n.x=1").get("n"));
        assertTrue(refused(yaml, "s=1", "s.x=2").getMessage().contains("an earlier override set s to 1"));
        assertTrue(refused(yaml, "a..b=1").getMessage().contains("an empty part in the key"));
        assertTrue(refused(yaml, "noequals").getMessage().contains("must look like key.path=value"));
        // through the loader, the recipe's model.train_cfg is None
        assertEquals("model.train_cfg", ConfigLoaderTest.fails("model.train_cfg.x=1").key());
    }

    @Test
    void inheritanceRefusesAMappingOverANonMappingAsMmengine() throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("cfgopt");
        java.nio.file.Files.writeString(dir.resolve("base.yaml"), "a: [1, 2]\nb: null\nc: {k: 1}\n");
        java.nio.file.Files.writeString(dir.resolve("child.py"), "_base_ = './base.yaml'\nb = dict(x=1)\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigInheritance.resolve(
                ConfigInheritance.file(dir.resolve("child.py")), o -> (ObjectNode) readYaml(o.read())));
        assertEquals("b", e.key());
        assertTrue(e.getMessage().contains("a mapping here cannot inherit from the base's None (as MMEngine); add _delete_: true"),
                e.getMessage());
        java.nio.file.Files.writeString(dir.resolve("child.py"), "_base_ = './base.yaml'\na = dict(_delete_=True, x=1)\nc = dict(j=2)\n");
        ObjectNode t = ConfigInheritance.resolve(ConfigInheritance.file(dir.resolve("child.py")), o -> (ObjectNode) readYaml(o.read()));
        assertEquals(json("{\"a\":{\"x\":1},\"b\":null,\"c\":{\"k\":1,\"j\":2}}"), t);
    }

    private static JsonNode readYaml(String text) {
        try {
            return YAML.readTree(text);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
