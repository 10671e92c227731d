package autoassign.nn;

import autoassign.tensor.Device;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tree of named parameters, buffers and child modules; names join with dots exactly like PyTorch's
 * state dict ({@code backbone.layer1.0.conv1.weight}).
 */
public abstract class Module {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training;

    /**
     * PyTorch's {@code train(mode)} / {@code eval()}, recursively. Modules start in eval mode here (the trainer
     * switches the model to train mode for the forward of each step only); the only layer that behaves differently
     * is a BatchNorm that normalises with batch statistics ({@code norm_eval: false}).
     */
    public void train(boolean mode) {
        training = mode;
        for (Module c : children.values()) c.train(mode);
    }

    /** True in train mode ({@link #train}). */
    public boolean isTraining() { return training; }

    /** Registers a trainable parameter (requires a gradient). */
    protected Tensor param(String name, Tensor value) {
        value.setRequiresGrad(true);
        params.put(name, value);
        return value;
    }

    /** Registers a state tensor that is saved but never trained (e.g. BN running statistics). */
    protected Tensor buffer(String name, Tensor value) {
        buffers.put(name, value);
        return value;
    }

    protected <M extends Module> M child(String name, M module) {
        children.put(name, module);
        return module;
    }

    public Map<String, Module> children() { return java.util.Collections.unmodifiableMap(children); }

    /** All parameters, frozen ones included, by full name in registration order. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return out;
    }

    /** Parameters that receive gradients. */
    public List<Tensor> trainableParameters() {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : namedParameters().values()) if (t.requiresGrad()) out.add(t);
        return out;
    }

    /** Parameters and buffers by full name: what a checkpoint holds. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean withParams, boolean withBuffers) {
        if (withParams) params.forEach((k, v) -> out.put(prefix + k, v));
        if (withBuffers) buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out, withParams, withBuffers));
    }

    /** Stops gradients for every parameter of this module and its children (frozen stages). */
    public void freeze() {
        for (Tensor t : namedParameters().values()) t.setRequiresGrad(false);
    }

    /** Moves every parameter and buffer in place. */
    public void to(Device device) {
        for (Tensor t : stateDict().values()) t.moveTo(device);
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.numel();
        return n;
    }

    public long trainableParameterCount() {
        long n = 0;
        for (Tensor t : trainableParameters()) n += t.numel();
        return n;
    }

    /** Missing, unexpected and shape-mismatched keys of a state-dict load. */
    public record LoadReport(List<String> missing, List<String> unexpected, List<String> mismatched, int loaded) {
        public boolean clean() { return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty(); }

        @Override public String toString() {
            return "loaded " + loaded + " tensors; missing " + missing + "; unexpected " + unexpected + "; shape mismatch " + mismatched;
        }
    }

    /**
     * Copies tensors into this module by name. Strict mode throws with the number of missing, unexpected and
     * mismatched keys and the first few of each (one line) and changes nothing; non-strict loads what matches
     * and reports all the rest.
     */
    public LoadReport loadStateDict(Map<String, Tensor> source, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
        for (String k : own.keySet()) if (!source.containsKey(k)) missing.add(k);
        for (Map.Entry<String, Tensor> e : source.entrySet()) {
            Tensor mine = own.get(e.getKey());
            if (mine == null) unexpected.add(e.getKey());
            else if (!Arrays.equals(mine.shape(), e.getValue().shape()))
                mismatched.add(e.getKey() + " " + Shape.str(e.getValue().shape()) + " vs model " + Shape.str(mine.shape()));
        }
        if (strict && !(missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty()))
            throw new IllegalArgumentException("loadStateDict (strict): " + summary("missing", missing) + "; "
                    + summary("unexpected", unexpected) + "; " + summary("shape mismatch", mismatched));
        int loaded = 0;
        for (Map.Entry<String, Tensor> e : source.entrySet()) {
            Tensor mine = own.get(e.getKey());
            if (mine != null && Arrays.equals(mine.shape(), e.getValue().shape())) {
                mine.copyFrom(e.getValue());
                loaded++;
            }
        }
        return new LoadReport(missing, unexpected, mismatched, loaded);
    }

    /** {@code what N [first three names, ...]}: a list of names short enough for a one-line error. */
    private static String summary(String what, List<String> names) {
        if (names.isEmpty()) return what + " 0";
        List<String> head = names.subList(0, Math.min(3, names.size()));
        return what + " " + names.size() + " [" + String.join(", ", head) + (names.size() > 3 ? ", ..." : "") + "]";
    }
}
