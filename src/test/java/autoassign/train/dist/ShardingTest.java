package autoassign.train.dist;

import autoassign.config.Config;
import autoassign.data.Batch;
import autoassign.data.BatchSampler;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.train.DataSources;
import autoassign.train.DistTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rank-sharded sampler covers every image exactly once per epoch (plus DistributedSampler's padding repeats). */
class ShardingTest {
    @TempDir Path tmp;

    @Test
    void everyImageExactlyOncePerEpochAcrossRanks() {
        for (int n : new int[] {1, 7, 12, 30}) {
            for (int world : new int[] {1, 2, 3, 4, 8}) {
                int[] w = new int[n], h = new int[n];
                for (int i = 0; i < n; i++) { w[i] = 100 + (i % 3) * 50; h[i] = 120; } // both aspect groups
                for (int epoch = 0; epoch < 3; epoch++) {
                    int[] count = new int[n];
                    int perRank = -1, batches = -1;
                    for (int r = 0; r < world; r++) {
                        BatchSampler s = new BatchSampler(w, h, 2, true, 42, r, world, true, false);
                        int seen = 0;
                        for (int[] b : s.batches(epoch)) for (int i : b) { count[i]++; seen++; }
                        if (perRank < 0) { perRank = seen; batches = s.numBatches(epoch); }
                        // every rank does the same number of images and of iterations: the collectives stay in step
                        assertEquals(perRank, seen, "n " + n + " world " + world + " rank " + r);
                        assertEquals(batches, s.numBatches(epoch), "n " + n + " world " + world + " rank " + r);
                    }
                    int total = (n + world - 1) / world * world, extra = total - n, repeated = 0;
                    for (int i = 0; i < n; i++) {
                        assertTrue(count[i] >= 1, "image " + i + " missed: n " + n + " world " + world + " epoch " + epoch);
                        assertTrue(count[i] <= 1 + (total + n - 1) / n, "image " + i + " too often");
                        repeated += count[i] - 1;
                    }
                    assertEquals(extra, repeated, "only the padding to a multiple of the world size repeats");
                    if (n % world == 0) for (int c : count) assertEquals(1, c);
                }
            }
        }
    }

    @Test
    void twoLoaderShardsTogetherLoadTheWholeDatasetOnce() throws Exception {
        Config cfg = DistTestSupport.tinyFixedSize(tmp, 1);
        CocoDataset ds = DataSources.load(cfg, true, tmp.resolve("data").toString(), new DataIssues("test", s -> {}, 0));
        assertEquals(0, ds.size() % 2, "the tiny dataset has an even number of images");
        for (int epoch = 0; epoch < 2; epoch++) {
            Map<Long, Integer> seen = new HashMap<>();
            List<Integer> perRank = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int k = 0;
                try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(1, 5, 1).withShard(r, 2));
                     DataLoader.Epoch e = dl.epoch(epoch)) {
                    while (e.hasNext()) {
                        Batch b = e.next();
                        for (var m : b.metas()) seen.merge(m.imageId(), 1, Integer::sum);
                        k++;
                    }
                }
                perRank.add(k);
            }
            assertEquals(ds.size(), seen.size(), "epoch " + epoch);
            seen.forEach((id, c) -> assertEquals(1, c, "image " + id));
            assertEquals(perRank.get(0), perRank.get(1));
        }
    }
}
