package autoassign.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX graph being built: nodes in topological order (the order they are added), initializers (weights and
 * constants), graph inputs and outputs. Value names are made unique here; {@link OnnxModelWriter} serialises it.
 */
public final class OnnxGraph {
    /** One operator; attribute values are {@code Long}, {@code Float}, {@code String}, {@code long[]} or {@code float[]}. */
    public record Node(String opType, String name, List<String> inputs, List<String> outputs, Map<String, Object> attributes) {}

    /** A constant tensor stored in the file: float32, float64 or int64, little-endian {@code raw_data}. */
    public record Initializer(String name, int dataType, long[] dims, byte[] rawData) {}

    /** A graph input or output: its element type and dims, each a {@code Long} (fixed) or a {@code String} (symbolic). */
    public record Value(String name, int elemType, List<Object> dims) {}

    static final int FLOAT = OnnxProto.DataType.FLOAT, INT64 = OnnxProto.DataType.INT64, DOUBLE = OnnxProto.DataType.DOUBLE;

    private final String name;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Initializer> initializers = new LinkedHashMap<>();
    private final List<Value> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    private final Map<String, Integer> used = new HashMap<>();
    private long opset = OnnxProto.OPSET;

    public OnnxGraph(String name) { this.name = name; }

    public String name() { return name; }

    /** The default-domain opset the graph needs: 17 unless an operator of a later one was added. */
    public long opset() { return opset; }

    /** Raises the graph's opset to at least {@code version} (for an operator introduced there). */
    void requireOpset(long version) { opset = Math.max(opset, version); }

    public List<Node> nodes() { return Collections.unmodifiableList(nodes); }

    public List<Initializer> initializers() { return List.copyOf(initializers.values()); }

    public List<Value> inputs() { return Collections.unmodifiableList(inputs); }

    public List<Value> outputs() { return Collections.unmodifiableList(outputs); }

    /** {@code wanted}, or {@code wanted_2}, {@code wanted_3}, ... when that value name is taken. */
    String fresh(String wanted) {
        int n = used.merge(wanted, 1, Integer::sum);
        if (n == 1) return wanted;
        String candidate = wanted + "_" + n;
        return used.containsKey(candidate) ? fresh(wanted) : fresh(candidate);
    }

    public String input(String valueName, int elemType, List<Object> dims) {
        String n = fresh(valueName);
        if (!n.equals(valueName)) throw new IllegalArgumentException("ONNX graph: input name '" + valueName + "' is taken");
        inputs.add(new Value(n, elemType, List.copyOf(dims)));
        return n;
    }

    /** Declares an already produced value as a graph output. */
    public void output(String valueName, int elemType, List<Object> dims) {
        outputs.add(new Value(valueName, elemType, List.copyOf(dims)));
    }

    /**
     * Adds one node with one output and returns the output's name: {@code outName} exactly (a graph output's name,
     * which must be free), or a fresh name derived from {@code prefix/opType} when {@code outName} is null.
     */
    public String node(String opType, String prefix, String outName, List<String> in, Map<String, Object> attributes) {
        String out;
        if (outName != null) {
            out = fresh(outName);
            if (!out.equals(outName)) throw new IllegalArgumentException("ONNX graph: value name '" + outName + "' is taken");
        } else {
            out = fresh(prefix + "/" + opType);
        }
        nodes.add(new Node(opType, out, List.copyOf(in), List.of(out), new LinkedHashMap<>(attributes)));
        return out;
    }

    /** A node with {@code outputs} outputs (TopK: values, indices), named {@code prefix/opType}, {@code ..._1}, ... */
    public List<String> nodeWithOutputs(String opType, String prefix, int outputs, List<String> in, Map<String, Object> attributes) {
        String first = fresh(prefix + "/" + opType);
        List<String> outs = new ArrayList<>(List.of(first));
        for (int i = 1; i < outputs; i++) outs.add(fresh(first + "_out" + i));
        nodes.add(new Node(opType, first, List.copyOf(in), List.copyOf(outs), new LinkedHashMap<>(attributes)));
        return outs;
    }

    public String node(String opType, String prefix, List<String> in, Map<String, Object> attributes) {
        return node(opType, prefix, null, in, attributes);
    }

    public String node(String opType, String prefix, List<String> in) { return node(opType, prefix, null, in, Map.of()); }

    /** A float32 initializer; a name already used by a different initializer gets a suffix. */
    public String floats(String wanted, float[] values, long... dims) {
        checkCount(wanted, values.length, dims);
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return initializer(wanted, FLOAT, dims, b.array());
    }

    /** An int64 initializer. */
    public String longs(String wanted, long[] values, long... dims) {
        checkCount(wanted, values.length, dims);
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return initializer(wanted, INT64, dims, b.array());
    }

    /** A float64 scalar (0-d) initializer. */
    public String doubles(String wanted, double value) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        b.putDouble(value);
        return initializer(wanted, DOUBLE, new long[0], b.array());
    }

    /** A float32 scalar (0-d) initializer, shared by every use of the same name and value. */
    public String scalar(String wanted, float value) { return floats(wanted, new float[] {value}); }

    private String initializer(String wanted, int type, long[] dims, byte[] raw) {
        Initializer existing = initializers.get(wanted);
        // the same constant asked for twice (a shared weight, a reused shape) is stored once
        if (existing != null && existing.dataType() == type && java.util.Arrays.equals(existing.dims(), dims)
                && java.util.Arrays.equals(existing.rawData(), raw)) return wanted;
        String n = fresh(wanted);
        initializers.put(n, new Initializer(n, type, dims.clone(), raw));
        return n;
    }

    private static void checkCount(String name, int count, long[] dims) {
        long n = 1;
        for (long d : dims) n *= d;
        if (n != count) throw new IllegalArgumentException("ONNX initializer " + name + ": " + count + " values for dims " + java.util.Arrays.toString(dims));
    }
}
