package autoassign.io.pickle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An instance of a class the reader has no special handling for (for example
 * {@code mmengine.logging.history_buffer.HistoryBuffer}), kept generically: the class name, the
 * constructor arguments, the state given by {@code BUILD} and any items added with
 * {@code APPEND(S)} / {@code SETITEM(S)} (list and dict subclasses). Nothing is ever executed.
 */
public final class PyObject {
    private final PyGlobal type;
    private final List<Object> args;
    private final Map<Object, Object> kwargs;
    private Object state;
    private final List<Object> listItems = new ArrayList<>();
    private final Map<Object, Object> dictItems = new LinkedHashMap<>();

    public PyObject(PyGlobal type, List<Object> args, Map<Object, Object> kwargs) {
        this.type = type;
        this.args = args == null ? List.of() : args;
        this.kwargs = kwargs == null ? Map.of() : kwargs;
    }

    public PyGlobal type() { return type; }

    /** {@code module.Class} */
    public String className() { return type.qualifiedName(); }

    public List<Object> args() { return args; }

    public Map<Object, Object> kwargs() { return kwargs; }

    /** The state set by {@code BUILD} ({@code __setstate__} argument), or null. */
    public Object state() { return state; }

    void setState(Object state) {
        if (this.state instanceof Map<?, ?> old && state instanceof Map<?, ?> add) {
            @SuppressWarnings("unchecked") Map<Object, Object> m = (Map<Object, Object>) old;
            m.putAll(add);
        } else {
            this.state = state;
        }
    }

    /** Items appended to a list subclass instance. */
    public List<Object> listItems() { return listItems; }

    /** Items set on a dict subclass instance. */
    public Map<Object, Object> dictItems() { return dictItems; }

    @Override public String toString() { return "<" + className() + " object>"; }
}
