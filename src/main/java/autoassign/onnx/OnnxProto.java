package autoassign.onnx;

/**
 * Field numbers and enum values of {@code onnx.proto} (ONNX 1.x, proto2 syntax) for the messages the exporter
 * writes. Written out by hand so that no generated classes are needed: the exporter only writes these fields.
 */
final class OnnxProto {
    private OnnxProto() {}

    /**
     * Opset 17 with IR version 8 (ONNX 1.10+): understood by ONNX Runtime ≥ 1.13 and TensorRT 8.6+. A graph that needs a
     * later operator (DeformConv: opset 19) declares that opset, with the IR version ONNX introduced alongside it.
     */
    static final long OPSET = 17;

    /** The IR version a model of {@code opset} declares: 8 up to opset 17 (ONNX 1.12), 9 for 18–20 (ONNX 1.13–1.16). */
    static long irVersion(long opset) { return opset <= 17 ? 8 : 9; }

    static final class Model {
        static final int IR_VERSION = 1, PRODUCER_NAME = 2, PRODUCER_VERSION = 3, DOC_STRING = 6, GRAPH = 7, OPSET_IMPORT = 8;
    }

    static final class OperatorSetId {
        static final int DOMAIN = 1, VERSION = 2;
    }

    static final class Graph {
        static final int NODE = 1, NAME = 2, INITIALIZER = 5, INPUT = 11, OUTPUT = 12;
    }

    static final class Node {
        static final int INPUT = 1, OUTPUT = 2, NAME = 3, OP_TYPE = 4, ATTRIBUTE = 5;
    }

    static final class Attribute {
        static final int NAME = 1, F = 2, I = 3, S = 4, FLOATS = 7, INTS = 8, TYPE = 20;
        // AttributeProto.AttributeType
        static final int TYPE_FLOAT = 1, TYPE_INT = 2, TYPE_STRING = 3, TYPE_FLOATS = 6, TYPE_INTS = 7;
    }

    static final class Tensor {
        static final int DIMS = 1, DATA_TYPE = 2, NAME = 8, RAW_DATA = 9;
    }

    /** TensorProto.DataType. */
    static final class DataType {
        static final int FLOAT = 1, INT64 = 7, BOOL = 9, DOUBLE = 11;
    }

    static final class ValueInfo {
        static final int NAME = 1, TYPE = 2;
    }

    static final class Type {
        static final int TENSOR_TYPE = 1;
        static final int ELEM_TYPE = 1, SHAPE = 2; // TypeProto.Tensor
    }

    static final class Shape {
        static final int DIM = 1;
        static final int DIM_VALUE = 1, DIM_PARAM = 2; // TensorShapeProto.Dimension
    }
}
