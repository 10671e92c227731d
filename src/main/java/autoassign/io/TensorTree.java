package autoassign.io;

import autoassign.io.pickle.PyGlobal;
import autoassign.io.pickle.PyObject;
import autoassign.io.pickle.PyTuple;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.util.Base64;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Naming of the values inside an unpickled checkpoint by dotted key path: dict keys and list /
 * tuple indices joined with {@code .} from the top-level object, e.g.
 * {@code state_dict.backbone.conv1.weight} or {@code optimizer.state.0.momentum_buffer}.
 * Generic objects contribute their {@code BUILD} state and dict / list items without a name of
 * their own. A tensor saved on its own is named {@code tensor}.
 */
public final class TensorTree {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final int MAX_DEPTH = 200;

    private TensorTree() {}

    /**
     * Every tensor reachable from {@code root}, in depth-first order. A name met twice (possible
     * only with dict keys that themselves contain dots) gets a {@code #2}, {@code #3}, ... suffix.
     */
    public static Map<String, RawTensor> tensors(Object root) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        walkTensors(root, "", out, new IdentityHashMap<>(), 0);
        return out;
    }

    private static void walkTensors(Object o, String path, Map<String, RawTensor> out, IdentityHashMap<Object, Boolean> onPath, int depth) {
        if (o instanceof RawTensor t) {
            String name = path.isEmpty() ? "tensor" : path;
            if (out.containsKey(name)) {
                int k = 2;
                while (out.containsKey(name + "#" + k)) k++;
                name = name + "#" + k;
            }
            out.put(name, t);
            return;
        }
        if (!isContainer(o) || depth > MAX_DEPTH || onPath.put(o, Boolean.TRUE) != null) return;
        forEachChild(o, path, (childPath, child) -> walkTensors(child, childPath, out, onPath, depth + 1));
        onPath.remove(o);
    }

    /**
     * Every non-tensor value by dotted key path, as text for a safetensors {@code __metadata__} map:
     * dicts are descended into; a list, tuple or object that holds no tensor is one entry. Strings are
     * stored as they are, every other value as JSON (numbers, {@code true}, {@code null}, lists, ...),
     * e.g. {@code meta.dataset_meta.classes → ["person","bicycle",...]}, {@code meta.epoch → 12},
     * {@code meta.mmdet_version → 3.3.0}.
     */
    public static Map<String, String> metadata(Object root) {
        Map<String, String> out = new LinkedHashMap<>();
        walkMetadata(root, "", out, new IdentityHashMap<>(), 0);
        return out;
    }

    private static void walkMetadata(Object o, String path, Map<String, String> out, IdentityHashMap<Object, Boolean> onPath, int depth) {
        if (o instanceof RawTensor) return;
        boolean descend = o instanceof Map<?, ?> m ? !m.isEmpty() : isContainer(o) && containsTensor(o, new IdentityHashMap<>(), 0);
        if (descend && depth <= MAX_DEPTH && onPath.put(o, Boolean.TRUE) == null) {
            forEachChild(o, path, (childPath, child) -> walkMetadata(child, childPath, out, onPath, depth + 1));
            onPath.remove(o);
            return;
        }
        if (path.isEmpty()) return;
        out.put(path, o instanceof String s ? s : toJsonText(o));
    }

    /** The object as JSON: tuples and sets as arrays, tensors as {@code {"__tensor__": true}}, bytes base64. */
    public static JsonNode toJson(Object o) {
        return toJson(o, new IdentityHashMap<>(), 0);
    }

    /** {@link #toJson} as compact text. */
    public static String toJsonText(Object o) {
        try {
            return JSON.writeValueAsString(toJson(o));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode toJson(Object o, IdentityHashMap<Object, Boolean> onPath, int depth) {
        if (o == null) return F.nullNode();
        if (o instanceof String s) return F.textNode(s);
        if (o instanceof Boolean b) return F.booleanNode(b);
        if (o instanceof Long l) return F.numberNode(l);
        if (o instanceof BigInteger b) return F.numberNode(b);
        if (o instanceof Double d) return d.isNaN() || d.isInfinite() ? F.textNode(d.toString()) : F.numberNode(d);
        if (o instanceof byte[] b) return F.objectNode().put("__bytes__", Base64.getEncoder().encodeToString(b));
        if (o instanceof RawTensor) return F.objectNode().put("__tensor__", true);
        if (o instanceof PyGlobal g) return F.objectNode().put("__global__", g.qualifiedName());
        if (!isContainer(o)) return F.textNode(String.valueOf(o));
        if (depth > MAX_DEPTH || onPath.put(o, Boolean.TRUE) != null) return F.textNode("...");
        try {
            if (o instanceof Map<?, ?> m) {
                ObjectNode n = F.objectNode();
                for (Map.Entry<?, ?> e : m.entrySet()) n.set(keyName(e.getKey()), toJson(e.getValue(), onPath, depth + 1));
                return n;
            }
            if (o instanceof Collection<?> c) {
                ArrayNode a = F.arrayNode();
                for (Object x : c) a.add(toJson(x, onPath, depth + 1));
                return a;
            }
            PyObject p = (PyObject) o;
            ObjectNode n = F.objectNode();
            n.put("__class__", p.className());
            if (!p.args().isEmpty()) n.set("args", toJson(p.args(), onPath, depth + 1));
            if (!p.kwargs().isEmpty()) n.set("kwargs", toJson(p.kwargs(), onPath, depth + 1));
            if (p.state() != null) n.set("state", toJson(p.state(), onPath, depth + 1));
            if (!p.listItems().isEmpty()) n.set("items", toJson(p.listItems(), onPath, depth + 1));
            if (!p.dictItems().isEmpty()) n.set("dict", toJson(p.dictItems(), onPath, depth + 1));
            return n;
        } finally {
            onPath.remove(o);
        }
    }

    private static boolean isContainer(Object o) {
        return o instanceof Map<?, ?> || o instanceof Collection<?> || o instanceof PyObject;
    }

    private static boolean containsTensor(Object o, IdentityHashMap<Object, Boolean> seen, int depth) {
        if (o instanceof RawTensor) return true;
        if (!isContainer(o) || depth > MAX_DEPTH || seen.put(o, Boolean.TRUE) != null) return false;
        boolean[] found = {false};
        forEachChild(o, "", (p, c) -> { if (!found[0] && containsTensor(c, seen, depth + 1)) found[0] = true; });
        return found[0];
    }

    private interface ChildVisitor { void visit(String path, Object child); }

    private static void forEachChild(Object o, String path, ChildVisitor v) {
        String prefix = path.isEmpty() ? "" : path + ".";
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) v.visit(prefix + keyName(e.getKey()), e.getValue());
        } else if (o instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) v.visit(prefix + i, l.get(i));
        } else if (o instanceof Set<?> s) {
            int i = 0;
            for (Object x : s) v.visit(prefix + i++, x);
        } else if (o instanceof PyObject p) {
            if (p.state() instanceof Map<?, ?> || p.state() instanceof PyTuple) forEachChild(p.state(), path, v);
            else if (p.state() != null) v.visit(prefix + "state", p.state());
            if (!p.dictItems().isEmpty()) forEachChild(p.dictItems(), path, v);
            if (!p.listItems().isEmpty()) forEachChild(p.listItems(), path, v);
        }
    }

    private static String keyName(Object k) {
        if (k instanceof String s) return s;
        if (k == null) return "None";
        if (k instanceof Boolean b) return b ? "True" : "False";
        if (k instanceof Long || k instanceof BigInteger || k instanceof Double) return k.toString();
        return toJsonText(k);
    }
}
