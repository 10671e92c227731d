package autoassign.train;

import java.nio.file.Path;

/**
 * What the {@code train} command line overrides in a config (null = keep the config's value).
 *
 * @param dataRoot     COCO-style folder (or where the synthetic dataset is generated)
 * @param epochs       train_cfg.max_epochs
 * @param batchSize    train_dataloader.batch_size; without {@code lr} the lr follows the linear scaling rule
 * @param lr           optimizer lr (taken as it is)
 * @param workDir      output folder (default {@code work_dirs/<config name>})
 * @param seed         randomness.seed
 * @param device       cpu | cuda | cuda:N (null: CUDA when usable, else CPU)
 * @param resume       a checkpoint path, or "auto" for the newest in the work dir
 * @param pretrained   backbone checkpoint replacing the config's
 * @param noPretrained train from scratch even when the config names a pretrained backbone
 * @param loadFrom     full checkpoint to start from (.safetensors or MMDetection .pth)
 * @param workers      loader threads (null: the config's num_workers)
 */
public record TrainOptions(String dataRoot, Integer epochs, Integer batchSize, Double lr, Path workDir, Long seed,
                           String device, String resume, Path pretrained, boolean noPretrained, Path loadFrom,
                           Integer workers) {
    public static TrainOptions defaults() {
        return new TrainOptions(null, null, null, null, null, null, null, null, null, false, null, null);
    }

    public TrainOptions withWorkDir(Path dir) {
        return new TrainOptions(dataRoot, epochs, batchSize, lr, dir, seed, device, resume, pretrained, noPretrained, loadFrom, workers);
    }

    public TrainOptions withEpochs(Integer e) {
        return new TrainOptions(dataRoot, e, batchSize, lr, workDir, seed, device, resume, pretrained, noPretrained, loadFrom, workers);
    }

    public TrainOptions withDevice(String d) {
        return new TrainOptions(dataRoot, epochs, batchSize, lr, workDir, seed, d, resume, pretrained, noPretrained, loadFrom, workers);
    }

    public TrainOptions withDataRoot(String root) {
        return new TrainOptions(root, epochs, batchSize, lr, workDir, seed, device, resume, pretrained, noPretrained, loadFrom, workers);
    }

    public TrainOptions withLoadFrom(Path ckpt) {
        return new TrainOptions(dataRoot, epochs, batchSize, lr, workDir, seed, device, resume, pretrained, noPretrained, ckpt, workers);
    }

    public TrainOptions withResume(String r) {
        return new TrainOptions(dataRoot, epochs, batchSize, lr, workDir, seed, device, r, pretrained, noPretrained, loadFrom, workers);
    }
}
