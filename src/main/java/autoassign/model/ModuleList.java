package autoassign.model;

import autoassign.nn.Module;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/** PyTorch's {@code nn.ModuleList}: children named {@code 0, 1, 2, ...}. */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    public M add(M m) {
        child(String.valueOf(items.size()), m);
        items.add(m);
        return m;
    }

    public M get(int i) { return items.get(i); }

    public int size() { return items.size(); }

    public List<M> asList() { return Collections.unmodifiableList(items); }

    @Override public Iterator<M> iterator() { return asList().iterator(); }
}
