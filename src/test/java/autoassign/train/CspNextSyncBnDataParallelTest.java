package autoassign.train;

import autoassign.config.Config;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.train.dist.DataParallelTrainer;
import autoassign.train.dist.DistOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RTMDet's SyncBN in CSPNeXtPAFPN (the only neck that accepts it) through the data-parallel trainer: with SyncBN in the
 * backbone and the neck, two CPU workers of batch 1 train like one worker of batch 2 (every weight and running statistic
 * of backbone, neck and head); with the neck on plain BN, the neck's per-worker statistics make them part. The backbone
 * is the tiny recipe's ResNet-18 (SyncBN, norm_eval false; 32, 64, 128 channels as the narrow CSPNeXt): a randomly
 * initialised CSPNeXt amplifies float32 summation-order differences (about 1e-5 of a gradient after one step) past 1e-4
 * within an epoch, which would hide the neck's part.
 */
class CspNextSyncBnDataParallelTest {
    @TempDir Path tmp;

    @Test
    void neckSyncBnOverTwoWorkersTrainsLikeOneWorkerOfTheWholeBatch() throws Exception {
        for (String neck : new String[] {"SyncBN", "BN"}) {
            Path dir = tmp.resolve(neck);
            // every image 64×64: 2 workers × batch 1 see exactly the tensors of 1 worker × batch 2
            Config cfg = CspNextTrainStepTest.tinyCspNext(dir, "train_dataloader.dataset.img_size=[64,64]",
                    "val_dataloader.dataset.img_size=[64,64]", "train_cfg.max_epochs=1",
                    "model.neck.norm_cfg={_delete_: true, type: " + neck + "}",
                    "model.backbone={_delete_: true, type: ResNet, depth: 18, num_stages: 4, base_channels: 16, out_indices: [1, 2, 3],"
                            + " frozen_stages: -1, norm_cfg: {type: SyncBN, requires_grad: true}, norm_eval: false, style: pytorch}");
            TrainOptions base = new TrainOptions(dir.resolve("data").toString(), 1, 2, 0.01, dir.resolve("single"), 3L, "cpu",
                    null, null, false, null, 0);
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            new Trainer(cfg, base, quiet).run();
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            TrainOptions one = new TrainOptions(base.dataRoot(), 1, 1, 0.01, dir.resolve("dist"), 3L, "cpu", null, null, false, null, 0);
            DataParallelTrainer.run(cfg, one, DistOptions.cpuWorkers(2).withBucketBytes(64 << 10),
                    new PrintStream(log, true, StandardCharsets.UTF_8));
            String text = log.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains(neck.equals("SyncBN") ? "SyncBN: the backbone's and neck's batch statistics span all 2 workers"
                    : "SyncBN: the backbone's batch statistics span all 2 workers"), text);
            Map<String, RawTensor> a = Safetensors.read(dir.resolve("single/epoch_1.safetensors")).tensors(),
                    b = Safetensors.read(dir.resolve("dist/epoch_1.safetensors")).tensors();
            assertEquals(a.keySet(), b.keySet());
            double worst = 0, worstNeck = 0;
            String at = null;
            for (String k : a.keySet()) {
                float[] x = a.get(k).toFloatArray(), y = b.get(k).toFloatArray();
                double scale = 1e-3, d = 0;
                for (int i = 0; i < x.length; i++) { scale = Math.max(scale, Math.abs(x[i])); d = Math.max(d, Math.abs(x[i] - y[i])); }
                if (d / scale > worst) { worst = d / scale; at = k; }
                if (k.startsWith("neck.")) worstNeck = Math.max(worstNeck, d / scale);
            }
            System.out.printf("CSPNeXtPAFPN norm_cfg %s: --cpu-workers 2 (batch 1) vs 1 worker (batch 2): max rel. diff %.3g at %s%n",
                    neck, worst, at);
            if (neck.equals("SyncBN")) assertTrue(worst < 1e-4, "neck SyncBN: weights differ by " + worst + " at " + at);
            else assertTrue(worstNeck > 1e-3, "per-worker neck BN statistics should differ from the whole batch's: " + worstNeck);
        }
    }
}
