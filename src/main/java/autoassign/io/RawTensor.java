package autoassign.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor as it sits in a checkpoint file: element type, shape and the raw element bytes,
 * contiguous in row-major order and little-endian (views, offsets and strides already applied).
 * Values are kept bit-exact; {@link #toFloatArray()} converts to the engine's float32.
 */
public record RawTensor(DType dtype, long[] shape, byte[] data) {

    public RawTensor {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long n = 1;
        for (long s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, s);
        }
        if (Math.multiplyExact(n, (long) dtype.size()) != data.length)
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype.torchName()
                    + " needs " + n * dtype.size() + " bytes, got " + data.length);
    }

    /** Wraps float32 values (copied) with the given shape. */
    public static RawTensor ofFloats(float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new RawTensor(DType.FLOAT32, shape, b.array());
    }

    /** Wraps int64 values (copied) with the given shape. */
    public static RawTensor ofLongs(long[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new RawTensor(DType.INT64, shape, b.array());
    }

    @Override public long[] shape() { return shape.clone(); }

    /** Number of dimensions (0 for a scalar). */
    public int rank() { return shape.length; }

    public long dim(int i) { return shape[i]; }

    public long numel() {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    /** The shape as ints (throws when a dimension exceeds int range). */
    public int[] intShape() {
        int[] r = new int[shape.length];
        for (int i = 0; i < r.length; i++) r[i] = Math.toIntExact(shape[i]);
        return r;
    }

    /** Read-only little-endian view of the element bytes. */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Element i as a double: exact for every dtype except int64 beyond 2^53. */
    public double getDouble(long i) {
        int o = Math.toIntExact(i * dtype.size());
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case FLOAT32: return b.getFloat(o);
            case FLOAT64: return b.getDouble(o);
            case FLOAT16: return halfToFloat(b.getShort(o));
            case BFLOAT16: return Float.intBitsToFloat((b.getShort(o) & 0xffff) << 16);
            case INT64: return b.getLong(o);
            default: return getLong(i);
        }
    }

    /** Element i as a long (integer and bool dtypes; floating values are truncated). */
    public long getLong(long i) {
        int o = Math.toIntExact(i * dtype.size());
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case INT8: return b.get(o);
            case UINT8: case BOOL: return b.get(o) & 0xff;
            case INT16: return b.getShort(o);
            case INT32: return b.getInt(o);
            case INT64: return b.getLong(o);
            default: return (long) getDouble(i);
        }
    }

    /** All elements converted to float32 (float16 / bfloat16 exactly; float64 and integers rounded). */
    public float[] toFloatArray() {
        int n = Math.toIntExact(numel());
        float[] r = new float[n];
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case FLOAT32: b.asFloatBuffer().get(r); break;
            case FLOAT16: for (int i = 0; i < n; i++) r[i] = halfToFloat(b.getShort(2 * i)); break;
            case BFLOAT16: for (int i = 0; i < n; i++) r[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16); break;
            case FLOAT64: for (int i = 0; i < n; i++) r[i] = (float) b.getDouble(8 * i); break;
            default: for (int i = 0; i < n; i++) r[i] = (float) getLong(i);
        }
        return r;
    }

    /** All elements as doubles (see {@link #getDouble}). */
    public double[] asDoubles() {
        int n = Math.toIntExact(numel());
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = getDouble(i);
        return r;
    }

    /** All elements as longs (see {@link #getLong}). */
    public long[] toLongArray() {
        int n = Math.toIntExact(numel());
        long[] r = new long[n];
        for (int i = 0; i < n; i++) r[i] = getLong(i);
        return r;
    }

    /** IEEE 754 binary16 → binary32, exact (subnormals, infinities and NaN payloads included). */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // subnormal: normalise
            int e = -1;
            do { mant <<= 1; e++; } while ((mant & 0x400) == 0);
            mant &= 0x3ff;
            return Float.intBitsToFloat(sign | ((127 - 15 - e) << 23) | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    @Override public boolean equals(Object o) {
        return o instanceof RawTensor t && t.dtype == dtype && Arrays.equals(t.shape, shape) && Arrays.equals(t.data, data);
    }

    @Override public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override public String toString() {
        return "RawTensor[" + dtype.torchName() + " " + Arrays.toString(shape) + "]";
    }
}
