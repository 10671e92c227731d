package autoassign.io;

import java.util.Locale;

/**
 * Element types a checkpoint tensor can have: the PyTorch name, the safetensors name, the
 * element size in bytes and the legacy PyTorch storage class that holds it.
 */
public enum DType {
    FLOAT32("float32", "F32", 4, "FloatStorage"),
    FLOAT16("float16", "F16", 2, "HalfStorage"),
    BFLOAT16("bfloat16", "BF16", 2, "BFloat16Storage"),
    FLOAT64("float64", "F64", 8, "DoubleStorage"),
    INT8("int8", "I8", 1, "CharStorage"),
    INT16("int16", "I16", 2, "ShortStorage"),
    INT32("int32", "I32", 4, "IntStorage"),
    INT64("int64", "I64", 8, "LongStorage"),
    UINT8("uint8", "U8", 1, "ByteStorage"),
    BOOL("bool", "BOOL", 1, "BoolStorage");

    private final String torchName;
    private final String safetensorsName;
    private final int size;
    private final String storageName;

    DType(String torchName, String safetensorsName, int size, String storageName) {
        this.torchName = torchName;
        this.safetensorsName = safetensorsName;
        this.size = size;
        this.storageName = storageName;
    }

    /** PyTorch dtype name without the {@code torch.} prefix, e.g. {@code float32}. */
    public String torchName() { return torchName; }

    /** safetensors header name, e.g. {@code F32}. */
    public String safetensorsName() { return safetensorsName; }

    /** bytes per element. */
    public int size() { return size; }

    /** PyTorch typed-storage class name, e.g. {@code FloatStorage}. */
    public String storageName() { return storageName; }

    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT16 || this == BFLOAT16 || this == FLOAT64;
    }

    /** @return the dtype with this safetensors name, or null when unknown */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) if (d.safetensorsName.equals(name)) return d;
        return null;
    }

    /** @return the dtype of a PyTorch storage class ({@code FloatStorage}, ...), or null when unknown */
    public static DType fromStorageName(String name) {
        if ("UntypedStorage".equals(name)) return UINT8;
        for (DType d : values()) if (d.storageName.equals(name)) return d;
        return null;
    }

    /**
     * @return the dtype of a PyTorch dtype attribute name ({@code float32}, {@code float}, {@code half},
     * {@code long}, ...), or null when unknown
     */
    public static DType fromTorchName(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "float32": case "float": return FLOAT32;
            case "float16": case "half": return FLOAT16;
            case "bfloat16": return BFLOAT16;
            case "float64": case "double": return FLOAT64;
            case "int8": return INT8;
            case "int16": case "short": return INT16;
            case "int32": case "int": return INT32;
            case "int64": case "long": return INT64;
            case "uint8": return UINT8;
            case "bool": return BOOL;
            default: return null;
        }
    }
}
