package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tiny config's training set wrapped in a RepeatDataset: an epoch is twice as long, the run trains. */
class DatasetWrappersTrainingTest {
    @TempDir Path tmp;

    private Trainer.Result train(Config cfg, Path workDir, ByteArrayOutputStream log) throws Exception {
        TrainOptions opt = TrainOptions.defaults().withWorkDir(workDir).withDevice("cpu").withDataRoot(tmp.resolve("data").toString())
                .withEpochs(1);
        return new Trainer(cfg, opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
    }

    @Test
    void repeatDatasetDoublesAnEpoch() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode root = (ObjectNode) yaml.readTree(TinyTrainConfig.yaml());
        ObjectNode loader = (ObjectNode) root.get("train_dataloader");
        ObjectNode wrapped = yaml.createObjectNode().put("type", "RepeatDataset").put("times", 2);
        wrapped.set("dataset", loader.get("dataset"));
        loader.set("dataset", wrapped);
        Path plain = tmp.resolve("plain.yaml"), repeated = tmp.resolve("repeated.yaml");
        Files.writeString(plain, TinyTrainConfig.yaml());
        Files.writeString(repeated, yaml.writeValueAsString(root));
        Trainer.Result once = train(ConfigLoader.load(plain), tmp.resolve("a"), new ByteArrayOutputStream());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result twice = train(ConfigLoader.load(repeated), tmp.resolve("b"), log);
        assertEquals(2 * once.iterations(), twice.iterations());
        assertTrue(Double.isFinite(twice.lastLoss()));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("dataset wrappers [RepeatDataset]: 16 samples per epoch from 8 images"),
                log.toString(StandardCharsets.UTF_8));
    }
}
