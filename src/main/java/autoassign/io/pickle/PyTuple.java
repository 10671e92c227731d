package autoassign.io.pickle;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/** A Python tuple: an immutable list, distinguishable from a Python list ({@link java.util.ArrayList}). */
public final class PyTuple extends AbstractList<Object> implements RandomAccess {
    public static final PyTuple EMPTY = new PyTuple(new Object[0]);
    private final Object[] items;

    private PyTuple(Object[] items) { this.items = items; }

    public static PyTuple of(Object... items) { return items.length == 0 ? EMPTY : new PyTuple(items.clone()); }

    public static PyTuple copyOf(List<?> items) { return items.isEmpty() ? EMPTY : new PyTuple(items.toArray()); }

    @Override public Object get(int index) { return items[index]; }

    @Override public int size() { return items.length; }
}
