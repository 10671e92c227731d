package autoassign.onnx;

import com.google.protobuf.CodedOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Serialises an {@link OnnxGraph} as an ONNX {@code ModelProto} (default-domain opset 17 with IR version 8, or the graph's later opset) with
 * protobuf-java's {@link CodedOutputStream}, field by field ({@link OnnxProto}). Each child message of the graph is
 * encoded once into a byte array so that the graph's length prefix is known before it is streamed; the weights are
 * therefore held twice in memory at most, never three times. Repeated scalars are written unpacked, as proto2
 * does for {@code onnx.proto}. Protobuf limits a message to 2 GiB, which bounds the exportable model (the R50
 * detector is 146 MB).
 */
public final class OnnxModelWriter {
    private OnnxModelWriter() {}

    /** Writes the model to {@code out} (not closed). */
    public static void write(OnnxGraph graph, String producerVersion, String docString, OutputStream out) throws IOException {
        List<byte[]> parts = new ArrayList<>();
        List<Integer> fields = new ArrayList<>();
        for (OnnxGraph.Node n : graph.nodes()) { fields.add(OnnxProto.Graph.NODE); parts.add(node(n)); }
        for (OnnxGraph.Initializer t : graph.initializers()) { fields.add(OnnxProto.Graph.INITIALIZER); parts.add(tensor(t)); }
        for (OnnxGraph.Value v : graph.inputs()) { fields.add(OnnxProto.Graph.INPUT); parts.add(valueInfo(v)); }
        for (OnnxGraph.Value v : graph.outputs()) { fields.add(OnnxProto.Graph.OUTPUT); parts.add(valueInfo(v)); }
        long graphSize = CodedOutputStream.computeStringSize(OnnxProto.Graph.NAME, graph.name());
        for (int i = 0; i < parts.size(); i++) graphSize += CodedOutputStream.computeByteArraySize(fields.get(i), parts.get(i));
        // the whole ModelProto (header, doc string, opset, the graph's tag and length) must stay under protobuf's 2 GiB
        long header = 64 * 1024 + (docString == null ? 0 : 3L * docString.length());
        if (graphSize + header > Integer.MAX_VALUE)
            throw new IOException("the ONNX model would be " + (graphSize + header) + " bytes; protobuf messages are limited to 2 GiB");

        CodedOutputStream c = CodedOutputStream.newInstance(out, 1 << 16);
        c.writeInt64(OnnxProto.Model.IR_VERSION, OnnxProto.irVersion(graph.opset()));
        c.writeString(OnnxProto.Model.PRODUCER_NAME, "autoassign-native");
        c.writeString(OnnxProto.Model.PRODUCER_VERSION, producerVersion);
        if (docString != null && !docString.isEmpty()) c.writeString(OnnxProto.Model.DOC_STRING, docString);
        c.writeByteArray(OnnxProto.Model.OPSET_IMPORT, message(o -> {
            o.writeString(OnnxProto.OperatorSetId.DOMAIN, "");
            o.writeInt64(OnnxProto.OperatorSetId.VERSION, graph.opset());
        }));
        c.writeTag(OnnxProto.Model.GRAPH, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        c.writeUInt32NoTag((int) graphSize);
        c.writeString(OnnxProto.Graph.NAME, graph.name());
        for (int i = 0; i < parts.size(); i++) c.writeByteArray(fields.get(i), parts.get(i));
        c.flush();
    }

    /** Encodes one message with {@code body}. */
    private interface Body { void write(CodedOutputStream out) throws IOException; }

    private static byte[] message(Body body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(bytes);
        body.write(c);
        c.flush();
        return bytes.toByteArray();
    }

    private static byte[] node(OnnxGraph.Node n) throws IOException {
        return message(c -> {
            for (String in : n.inputs()) c.writeString(OnnxProto.Node.INPUT, in);
            for (String out : n.outputs()) c.writeString(OnnxProto.Node.OUTPUT, out);
            c.writeString(OnnxProto.Node.NAME, n.name());
            c.writeString(OnnxProto.Node.OP_TYPE, n.opType());
            // by name: the same export gives the same bytes (attribute maps built with Map.of iterate in a per-JVM order)
            for (Map.Entry<String, Object> a : new java.util.TreeMap<>(n.attributes()).entrySet())
                c.writeByteArray(OnnxProto.Node.ATTRIBUTE, attribute(a.getKey(), a.getValue()));
        });
    }

    private static byte[] attribute(String name, Object value) throws IOException {
        return message(c -> {
            c.writeString(OnnxProto.Attribute.NAME, name);
            if (value instanceof Long i) {
                c.writeInt64(OnnxProto.Attribute.I, i);
                c.writeInt32(OnnxProto.Attribute.TYPE, OnnxProto.Attribute.TYPE_INT);
            } else if (value instanceof Float f) {
                c.writeFloat(OnnxProto.Attribute.F, f);
                c.writeInt32(OnnxProto.Attribute.TYPE, OnnxProto.Attribute.TYPE_FLOAT);
            } else if (value instanceof String s) {
                c.writeByteArray(OnnxProto.Attribute.S, s.getBytes(StandardCharsets.UTF_8));
                c.writeInt32(OnnxProto.Attribute.TYPE, OnnxProto.Attribute.TYPE_STRING);
            } else if (value instanceof long[] ints) {
                for (long i : ints) c.writeInt64(OnnxProto.Attribute.INTS, i);
                c.writeInt32(OnnxProto.Attribute.TYPE, OnnxProto.Attribute.TYPE_INTS);
            } else if (value instanceof float[] floats) {
                for (float f : floats) c.writeFloat(OnnxProto.Attribute.FLOATS, f);
                c.writeInt32(OnnxProto.Attribute.TYPE, OnnxProto.Attribute.TYPE_FLOATS);
            } else {
                throw new IllegalArgumentException("ONNX attribute " + name + ": unsupported value " + value.getClass().getSimpleName());
            }
        });
    }

    private static byte[] tensor(OnnxGraph.Initializer t) throws IOException {
        return message(c -> {
            for (long d : t.dims()) c.writeInt64(OnnxProto.Tensor.DIMS, d);
            c.writeInt32(OnnxProto.Tensor.DATA_TYPE, t.dataType());
            c.writeString(OnnxProto.Tensor.NAME, t.name());
            c.writeByteArray(OnnxProto.Tensor.RAW_DATA, t.rawData());
        });
    }

    private static byte[] valueInfo(OnnxGraph.Value v) throws IOException {
        byte[] shape = message(c -> {
            for (Object d : v.dims())
                c.writeByteArray(OnnxProto.Shape.DIM, message(dim -> {
                    if (d instanceof String param) dim.writeString(OnnxProto.Shape.DIM_PARAM, param);
                    else dim.writeInt64(OnnxProto.Shape.DIM_VALUE, ((Number) d).longValue());
                }));
        });
        byte[] tensorType = message(c -> {
            c.writeInt32(OnnxProto.Type.ELEM_TYPE, v.elemType());
            c.writeByteArray(OnnxProto.Type.SHAPE, shape);
        });
        byte[] type = message(c -> c.writeByteArray(OnnxProto.Type.TENSOR_TYPE, tensorType));
        return message(c -> {
            c.writeString(OnnxProto.ValueInfo.NAME, v.name());
            c.writeByteArray(OnnxProto.ValueInfo.TYPE, type);
        });
    }
}
