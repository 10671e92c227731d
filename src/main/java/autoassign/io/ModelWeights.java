package autoassign.io;

import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bridge between checkpoint files and a {@link Module}'s state dict: saving the engine's own
 * safetensors checkpoints, loading MMDetection checkpoints (names already match) and pretrained
 * ResNet files into the backbone, and checking names and shapes against a model.
 */
public final class ModelWeights {
    private ModelWeights() {}

    /** Outcome of a load: the module's report, and source names deliberately left out (see {@link #load}). */
    public record LoadResult(Module.LoadReport report, List<String> ignored) {}

    /** Names, shapes and places of a state dict compared with a model, without loading anything. */
    public record Check(List<String> matched, List<String> missing, List<String> unexpected, List<String> mismatched, List<String> ignored) {
        /** Nothing missing, unexpected or of the wrong shape. */
        public boolean clean() { return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty(); }
    }

    // ----------------------------------------------------------------------------------- conversion

    /** A module's parameters and buffers as float32 raw tensors (copied), in state-dict order. */
    public static Map<String, RawTensor> fromModule(Module m) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, t) -> out.put(k, fromTensor(t)));
        return out;
    }

    public static RawTensor fromTensor(Tensor t) {
        int[] s = t.shape();
        long[] shape = new long[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = s[i];
        return RawTensor.ofFloats(t.toFloatArray(), shape);
    }

    /** Raw tensors as the engine's float32 CPU tensors (float16 / bfloat16 exactly, other dtypes rounded). */
    public static Map<String, Tensor> toTensors(Map<String, RawTensor> raw) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        raw.forEach((k, r) -> out.put(k, Tensor.of(r.toFloatArray(), r.intShape())));
        return out;
    }

    // ---------------------------------------------------------------------------------- save / read

    /**
     * Saves a module's state dict as safetensors (temporary file + atomic rename): float32, except BatchNorm
     * {@code num_batches_tracked} counters, stored as int64 like PyTorch does, so that names, dtypes and shapes
     * equal those of an MMDetection checkpoint.
     */
    public static void save(Path file, Module m, Map<String, String> metadata) throws IOException {
        Safetensors.write(file, checkpointTensors(m), metadata);
    }

    /**
     * A module's state dict as checkpoints hold it: float32, BatchNorm {@code num_batches_tracked} and Swin's
     * {@code relative_position_index} buffers as int64 (the engine keeps them as floats).
     */
    public static Map<String, RawTensor> checkpointTensors(Module m) {
        Map<String, RawTensor> sd = fromModule(m);
        sd.replaceAll((k, t) -> k.endsWith(".num_batches_tracked") || k.endsWith(".relative_position_index") ? toInt64(t) : t);
        return sd;
    }

    private static RawTensor toInt64(RawTensor t) {
        float[] f = t.toFloatArray();
        long[] l = new long[f.length];
        for (int i = 0; i < f.length; i++) l[i] = Math.round(f[i]);
        return RawTensor.ofLongs(l, t.shape());
    }

    /** What a checkpoint file holds for a model: its state dict and its metadata (one read of the file). */
    public record Checkpoint(Path file, Map<String, RawTensor> stateDict, Map<String, String> metadata) {}

    /**
     * Reads a {@code .safetensors} or {@code .pth} checkpoint once. The state dict: for {@code .pth} see
     * {@link StateDicts#find}; for safetensors, a file converted by {@code import} keeps its tensors under
     * {@code state_dict.} (MMDetection checkpoints) or {@code model.}: that prefix is removed, else all tensors
     * are taken. A leading {@code module.} is stripped in both cases. The metadata: the safetensors
     * {@code __metadata__}, or every non-tensor value of a {@code .pth} by dotted path
     * ({@code meta.dataset_meta.classes}).
     */
    public static Checkpoint read(Path file) throws CheckpointException {
        if (!Checkpoints.isSafetensors(file)) {
            PthFile pth = PthReader.read(file);
            return new Checkpoint(file, StateDicts.find(pth.root()), pth.metadata());
        }
        Safetensors.Contents c = Safetensors.read(file);
        for (String prefix : List.of("state_dict.", "model.")) {
            Map<String, RawTensor> sub = new LinkedHashMap<>();
            c.tensors().forEach((k, v) -> { if (k.startsWith(prefix)) sub.put(k.substring(prefix.length()), v); });
            if (!sub.isEmpty()) return new Checkpoint(file, StateDicts.stripPrefix(sub, "module."), c.metadata());
        }
        return new Checkpoint(file, StateDicts.stripPrefix(c.tensors(), "module."), c.metadata());
    }

    /** The state dict stored in a checkpoint file (see {@link #read}). */
    public static Map<String, RawTensor> readStateDict(Path file) throws CheckpointException {
        return read(file).stateDict();
    }

    // ----------------------------------------------------------------------------------------- load

    /**
     * Loads a checkpoint ({@code .safetensors} or {@code .pth}, e.g. MMDetection's released AutoAssign
     * checkpoint) into {@code m} by name. BatchNorm {@code num_batches_tracked} counters that the module has
     * no place for (the engine's frozen BN keeps none) are left out and listed as ignored. Strict mode fails
     * (changing nothing) on any missing, unexpected or mis-shaped name.
     */
    public static LoadResult load(Path file, Module m, boolean strict) throws CheckpointException {
        return load(read(file), m, strict);
    }

    /** As {@link #load(Path, Module, boolean)}, for a checkpoint already read (its metadata used too). */
    public static LoadResult load(Checkpoint c, Module m, boolean strict) throws CheckpointException {
        Map<String, Tensor> own = m.stateDict();
        List<String> ignored = new ArrayList<>();
        Map<String, RawTensor> kept = dropCounters(c.stateDict(), own, ignored);
        try {
            return new LoadResult(m.loadStateDict(toTensors(kept), strict), ignored);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.file(), "does not fit the model: " + e.getMessage());
        }
    }

    /**
     * Loads a pretrained ResNet file (e.g. {@code resnet50_msra-5891d200.pth}) into {@code backbone.*} of a
     * detector, non-strict as MMEngine does: names are mapped by {@link StateDicts#resnetToBackbone}; names
     * with no place (e.g. {@code fc.*}) are ignored; backbone entries the file lacks keep their values.
     * The report's {@code missing} lists only backbone names; a shape mismatch is an error.
     */
    public static LoadResult loadPretrainedBackbone(Path file, Module detector) throws CheckpointException {
        StateDicts.Mapped mapped = StateDicts.resnetToBackbone(readStateDict(file));
        Map<String, Tensor> own = detector.stateDict();
        List<String> ignored = new ArrayList<>(mapped.ignored());
        Map<String, RawTensor> kept = dropCounters(mapped.tensors(), own, ignored);
        if (kept.isEmpty()) throw new CheckpointException(file, "no ResNet weights found (names like conv1.weight, layer1.0.conv1.weight)");
        Module.LoadReport r = loadIntoBackbone(file, detector, kept, own);
        zeroMissingOffsetConvs(detector, "", new java.util.HashSet<>(r.missing()));
        return new LoadResult(r, ignored);
    }

    /**
     * A Swin Transformer backbone's Pretrained checkpoint, as upstream's {@code SwinTransformer.init_weights} loads it
     * ({@link SwinConverter}): official Swin names converted when {@code convertWeights}, then the {@code backbone.*}
     * keys, non-strict; names the backbone lacks (the original's {@code attn_mask} buffers and final {@code norm}) are
     * ignored. A relative_position_bias_table of another window size is resized bicubically as upstream
     * ({@link SwinConverter#fitToModel}); any other shape mismatch is an error.
     */
    public static LoadResult loadPretrainedSwin(Path file, Module detector, boolean convertWeights) throws CheckpointException {
        StateDicts.Mapped mapped;
        try {
            mapped = SwinConverter.toBackbone(readStateDict(file), convertWeights);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, e.getMessage());
        }
        Map<String, Tensor> own = detector.stateDict();
        List<String> ignored = new ArrayList<>(mapped.ignored());
        Map<String, RawTensor> kept = keepKnown(mapped, own, ignored, k -> k);
        if (kept.isEmpty())
            throw new CheckpointException(file, "no Swin backbone weights found (" + (convertWeights
                    ? "official names like layers.0.blocks.0.attn.qkv.weight" : "names like backbone.stages.0.blocks.0.attn.w_msa.qkv.weight; convert_weights: true for an official Swin file") + ")");
        Map<String, RawTensor> fitted;
        try {
            fitted = SwinConverter.fitToModel(kept, own);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, e.getMessage());
        }
        return new LoadResult(loadIntoBackbone(file, detector, fitted, own), ignored);
    }

    /**
     * A PVT / PVTv2 backbone's Pretrained checkpoint, as upstream's {@code PyramidVisionTransformer.init_weights} loads
     * it ({@link PvtConverter}): official names converted by pvt_convert when {@code convertWeights}, then every key
     * loaded into the backbone itself, non-strict (names it lacks are ignored). A shape mismatch is an error
     * (MMEngine would warn and skip it, e.g. a v1 position embedding of another pretrain_img_size).
     */
    public static LoadResult loadPretrainedPvt(Path file, Module detector, boolean convertWeights) throws CheckpointException {
        StateDicts.Mapped mapped;
        try {
            mapped = PvtConverter.toBackbone(readStateDict(file), convertWeights);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, e.getMessage());
        }
        Map<String, Tensor> own = detector.stateDict();
        List<String> ignored = new ArrayList<>(mapped.ignored());
        Map<String, RawTensor> kept = keepKnown(mapped, own, ignored, k -> k.substring("backbone.".length()));
        if (kept.isEmpty())
            throw new CheckpointException(file, "no PVT backbone weights found (" + (convertWeights
                    ? "official names like block1.0.attn.q.weight" : "backbone names like layers.0.1.0.attn.attn.in_proj_weight; convert_weights: true for an official PVT file") + ")");
        return new LoadResult(loadIntoBackbone(file, detector, kept, own), ignored);
    }

    /** The mapped tensors the model has, in order; the names of the others go to {@code ignored} as {@code shown}. */
    private static Map<String, RawTensor> keepKnown(StateDicts.Mapped mapped, Map<String, Tensor> own, List<String> ignored,
                                                    java.util.function.UnaryOperator<String> shown) {
        Map<String, RawTensor> kept = new LinkedHashMap<>();
        mapped.tensors().forEach((k, v) -> {
            if (own.containsKey(k)) kept.put(k, v);
            else ignored.add(shown.apply(k));
        });
        return kept;
    }

    /**
     * Loads backbone weights non-strictly after checking their shapes (a mismatch is an error naming the file); the
     * report's {@code missing} lists only backbone names.
     */
    private static Module.LoadReport loadIntoBackbone(Path file, Module detector, Map<String, RawTensor> kept, Map<String, Tensor> own)
            throws CheckpointException {
        Check c = check(kept, own, "backbone.");
        if (!c.mismatched().isEmpty())
            throw new CheckpointException(file, "shapes do not fit the backbone: " + String.join(", ", c.mismatched()));
        Module.LoadReport r = detector.loadStateDict(toTensors(kept), false);
        List<String> missing = new ArrayList<>();
        for (String k : r.missing()) if (k.startsWith("backbone.")) missing.add(k);
        return new Module.LoadReport(missing, r.unexpected(), r.mismatched(), r.loaded());
    }

    /**
     * MMDetection's {@code init_cfg=dict(type='Pretrained')} replaces the backbone's Kaiming init, so what the file lacks
     * keeps its value as built: for a deformable conv's {@code conv_offset}, MMCV's {@code init_offset} zeros (the
     * layer starts as the plain conv), not the Kaiming draw of a backbone trained from scratch.
     */
    private static void zeroMissingOffsetConvs(Module m, String prefix, java.util.Set<String> missing) {
        if (m instanceof autoassign.nn.DeformConv2dPack d)
            d.convOffset.namedParameters().forEach((k, t) -> {
                if (missing.contains(prefix + "conv_offset." + k)) autoassign.nn.Init.constant(t, 0f);
            });
        m.children().forEach((k, c) -> zeroMissingOffsetConvs(c, prefix + k + ".", missing));
    }

    /**
     * Compares a state dict with a model's: names present in both with equal shapes are matched; model
     * names under {@code scope} (empty: all) absent from the source are missing; source names the model lacks
     * are unexpected, except {@code num_batches_tracked} counters, which are ignored.
     */
    public static Check check(Map<String, RawTensor> sd, Map<String, Tensor> model, String scope) {
        List<String> matched = new ArrayList<>(), missing = new ArrayList<>(), unexpected = new ArrayList<>(),
                mismatched = new ArrayList<>(), ignored = new ArrayList<>();
        Map<String, RawTensor> kept = dropCounters(sd, model, ignored);
        for (String k : model.keySet()) if (k.startsWith(scope) && !kept.containsKey(k)) missing.add(k);
        kept.forEach((k, r) -> {
            Tensor t = model.get(k);
            if (t == null) unexpected.add(k);
            else if (!Arrays.equals(r.shape(), toLong(t.shape())))
                mismatched.add(k + " " + Arrays.toString(r.shape()) + " vs model " + Arrays.toString(t.shape()));
            else matched.add(k);
        });
        return new Check(matched, missing, unexpected, mismatched, ignored);
    }

    private static Map<String, RawTensor> dropCounters(Map<String, RawTensor> sd, Map<String, Tensor> own, List<String> ignored) {
        Map<String, RawTensor> kept = new LinkedHashMap<>();
        sd.forEach((k, v) -> {
            if (k.endsWith(".num_batches_tracked") && !own.containsKey(k)) ignored.add(k);
            else kept.put(k, v);
        });
        return kept;
    }

    private static long[] toLong(int[] s) {
        long[] r = new long[s.length];
        for (int i = 0; i < s.length; i++) r[i] = s[i];
        return r;
    }
}
