package autoassign.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal, independent {@code ModelProto} parser for the tests: reads back what an exported file holds (IR
 * version, opsets, nodes with attributes, initializers, inputs and outputs), skipping every field it does not know,
 * with protobuf-java's {@link CodedInputStream} and the field numbers of {@code onnx.proto} written out here again
 * (not taken from the writer, so a wrong number in the writer fails the tests). Accepts packed and unpacked
 * repeated scalars.
 */
final class OnnxModelReader {
    record Model(long irVersion, Map<String, Long> opsets, String producer, String docString, OnnxGraph graph,
                 List<OnnxGraph.Node> nodes, Map<String, OnnxGraph.Initializer> initializers,
                 List<OnnxGraph.Value> inputs, List<OnnxGraph.Value> outputs) {}

    private OnnxModelReader() {}

    static Model read(Path file) throws IOException { return parse(Files.readAllBytes(file)); }

    static Model parse(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setSizeLimit(Integer.MAX_VALUE);
        long ir = -1;
        String producer = null, doc = null;
        Map<String, Long> opsets = new LinkedHashMap<>();
        byte[] graph = null;
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> ir = in.readInt64();
                case 2 -> producer = in.readString();
                case 6 -> doc = in.readString();
                case 7 -> graph = in.readByteArray();
                case 8 -> {
                    CodedInputStream o = CodedInputStream.newInstance(in.readByteArray());
                    String domain = "";
                    long version = -1;
                    for (int t; (t = o.readTag()) != 0; ) {
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> domain = o.readString();
                            case 2 -> version = o.readInt64();
                            default -> o.skipField(t);
                        }
                    }
                    opsets.put(domain, version);
                }
                default -> in.skipField(tag);
            }
        }
        if (graph == null) throw new IOException("no graph in the model");
        List<OnnxGraph.Node> nodes = new ArrayList<>();
        Map<String, OnnxGraph.Initializer> inits = new LinkedHashMap<>();
        List<OnnxGraph.Value> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        CodedInputStream gi = CodedInputStream.newInstance(graph);
        gi.setSizeLimit(Integer.MAX_VALUE);
        String name = null;
        for (int tag; (tag = gi.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> nodes.add(node(gi.readByteArray()));
                case 2 -> name = gi.readString();
                case 5 -> {
                    OnnxGraph.Initializer t = tensor(gi.readByteArray());
                    inits.put(t.name(), t);
                }
                case 11 -> inputs.add(valueInfo(gi.readByteArray()));
                case 12 -> outputs.add(valueInfo(gi.readByteArray()));
                default -> gi.skipField(tag);
            }
        }
        return new Model(ir, opsets, producer, doc, new OnnxGraph(name), nodes, inits, inputs, outputs);
    }

    private static OnnxGraph.Node node(byte[] b) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        String name = null, op = null;
        Map<String, Object> attrs = new LinkedHashMap<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readString());
                case 2 -> outputs.add(in.readString());
                case 3 -> name = in.readString();
                case 4 -> op = in.readString();
                case 5 -> attribute(in.readByteArray(), attrs);
                default -> in.skipField(tag);
            }
        }
        return new OnnxGraph.Node(op, name, inputs, outputs, attrs);
    }

    private static void attribute(byte[] b, Map<String, Object> into) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        String name = null;
        int type = 0;
        Long i = null;
        Float f = null;
        String s = null;
        List<Long> ints = new ArrayList<>();
        List<Float> floats = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            int field = WireFormat.getTagFieldNumber(tag), wire = WireFormat.getTagWireType(tag);
            switch (field) {
                case 1 -> name = in.readString();
                case 2 -> f = in.readFloat();
                case 3 -> i = in.readInt64();
                case 4 -> s = new String(in.readByteArray(), StandardCharsets.UTF_8);
                case 7 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int end = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) floats.add(in.readFloat());
                        in.popLimit(end);
                    } else floats.add(in.readFloat());
                }
                case 8 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int end = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) ints.add(in.readInt64());
                        in.popLimit(end);
                    } else ints.add(in.readInt64());
                }
                case 20 -> type = in.readInt32();
                default -> in.skipField(tag);
            }
        }
        Object value = switch (type) {
            case 1 -> f;
            case 2 -> i;
            case 3 -> s;
            case 6 -> { float[] a = new float[floats.size()]; for (int k = 0; k < a.length; k++) a[k] = floats.get(k); yield a; }
            case 7 -> ints.stream().mapToLong(Long::longValue).toArray();
            default -> throw new IOException("attribute " + name + ": type " + type + " not read by the test reader");
        };
        if (value == null) throw new IOException("attribute " + name + " of type " + type + " has no value");
        into.put(name, value);
    }

    private static OnnxGraph.Initializer tensor(byte[] b) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        in.setSizeLimit(Integer.MAX_VALUE);
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = null;
        byte[] raw = null;
        for (int tag; (tag = in.readTag()) != 0; ) {
            int wire = WireFormat.getTagWireType(tag);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int end = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) dims.add(in.readInt64());
                        in.popLimit(end);
                    } else dims.add(in.readInt64());
                }
                case 2 -> type = in.readInt32();
                case 8 -> name = in.readString();
                case 9 -> raw = in.readByteArray();
                default -> in.skipField(tag);
            }
        }
        return new OnnxGraph.Initializer(name, type, dims.stream().mapToLong(Long::longValue).toArray(), raw);
    }

    private static OnnxGraph.Value valueInfo(byte[] b) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        String name = null;
        int elem = 0;
        List<Object> dims = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> name = in.readString();
                case 2 -> { // TypeProto
                    CodedInputStream type = CodedInputStream.newInstance(in.readByteArray());
                    for (int t; (t = type.readTag()) != 0; ) {
                        if (WireFormat.getTagFieldNumber(t) != 1) { type.skipField(t); continue; }
                        CodedInputStream tensor = CodedInputStream.newInstance(type.readByteArray());
                        for (int u; (u = tensor.readTag()) != 0; ) {
                            switch (WireFormat.getTagFieldNumber(u)) {
                                case 1 -> elem = tensor.readInt32();
                                case 2 -> {
                                    CodedInputStream shape = CodedInputStream.newInstance(tensor.readByteArray());
                                    for (int v; (v = shape.readTag()) != 0; ) {
                                        if (WireFormat.getTagFieldNumber(v) != 1) { shape.skipField(v); continue; }
                                        CodedInputStream dim = CodedInputStream.newInstance(shape.readByteArray());
                                        for (int w; (w = dim.readTag()) != 0; ) {
                                            switch (WireFormat.getTagFieldNumber(w)) {
                                                case 1 -> dims.add(dim.readInt64());
                                                case 2 -> dims.add(dim.readString());
                                                default -> dim.skipField(w);
                                            }
                                        }
                                    }
                                }
                                default -> tensor.skipField(u);
                            }
                        }
                    }
                }
                default -> in.skipField(tag);
            }
        }
        return new OnnxGraph.Value(name, elem, dims);
    }
}
