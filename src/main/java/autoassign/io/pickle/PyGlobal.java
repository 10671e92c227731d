package autoassign.io.pickle;

/** A class or function reference from a pickle ({@code GLOBAL module name}); never resolved or called. */
public record PyGlobal(String module, String name) {
    /** {@code module.name} */
    public String qualifiedName() { return module + "." + name; }

    public boolean is(String module, String name) { return this.module.equals(module) && this.name.equals(name); }

    @Override public String toString() { return qualifiedName(); }
}
