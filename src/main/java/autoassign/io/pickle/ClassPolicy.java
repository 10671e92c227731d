package autoassign.io.pickle;

import java.util.Set;

/**
 * Which class / function references a pickle may contain. The reader never imports or calls
 * anything, but a reference to something whose only purpose is running code or touching the
 * system ({@code os.system}, {@code builtins.eval}, {@code subprocess.Popen}, ...) marks a file
 * that is not a checkpoint, and PyTorch or NumPy internals the reader does not implement would be
 * silently misread; both are refused. Everything else (e.g. {@code mmengine.logging.history_buffer.HistoryBuffer})
 * is accepted and becomes a generic {@link PyObject}.
 */
public final class ClassPolicy {
    private ClassPolicy() {}

    /** Builtins that only build plain values. */
    private static final Set<String> SAFE_BUILTINS = Set.of(
            "set", "frozenset", "list", "tuple", "dict", "bytearray", "bytes", "object", "complex", "slice",
            "int", "float", "str", "bool", "range", "NoneType", "Ellipsis", "NotImplemented");

    /** Modules (and their submodules) that exist to run code or reach the system. */
    private static final Set<String> DENIED_MODULES = Set.of(
            "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "sys", "importlib", "imp", "runpy", "shutil",
            "socket", "pickle", "_pickle", "cPickle", "pickletools", "marshal", "types", "ctypes", "code", "codeop",
            "pty", "webbrowser", "commands", "operator", "_operator", "functools", "_functools", "io", "_io",
            "tempfile", "signal", "multiprocessing", "threading", "_thread", "thread", "inspect", "asyncio",
            "zipimport", "pdb", "bdb", "timeit", "cProfile", "profile", "gc", "dill", "cloudpickle", "joblib",
            "http", "urllib", "urllib2", "ftplib", "smtplib", "telnetlib", "xmlrpc", "ssl", "select", "mmap",
            "resource", "fcntl", "pwd", "grp", "platform", "sysconfig", "site", "distutils", "setuptools", "pip",
            "builtins.__import__", "torch.hub", "torch.jit", "torch.package", "torch.utils.cpp_extension");

    /** PyTorch references the reader implements (anything else under {@code torch} is refused). */
    private static final Set<String> TORCH_ALLOWED = Set.of(
            "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
            "torch._tensor._rebuild_from_type_v2", "torch._tensor._rebuild_from_type",
            "torch.Size", "torch.device", "torch.Tensor", "torch.nn.parameter.Parameter",
            "torch.storage.UntypedStorage", "torch.storage.TypedStorage", "torch.storage._TypedStorage",
            "torch.storage._LegacyStorage", "torch.storage._load_from_bytes");

    /** NumPy references kept as generic objects (arrays, dtypes and scalars found in training metadata). */
    private static final Set<String> NUMPY_ALLOWED = Set.of(
            "numpy.ndarray", "numpy.dtype", "numpy.core.multiarray._reconstruct", "numpy.core.multiarray.scalar",
            "numpy._core.multiarray._reconstruct", "numpy._core.multiarray.scalar", "numpy.random._pickle.__randomstate_ctor",
            "numpy.random._pickle.__bit_generator_ctor", "numpy.random._pickle.__generator_ctor");

    /** Throws {@link PickleException} when {@code module.name} may not appear in a checkpoint. */
    public static void check(String module, String name) {
        String q = module + "." + name;
        if (module.isEmpty() || name.isEmpty()) throw refused(q);
        if (module.equals("builtins") || module.equals("__builtin__")) {
            if (!SAFE_BUILTINS.contains(name)) throw refused(q);
            return;
        }
        for (String d : DENIED_MODULES) if (module.equals(d) || module.startsWith(d + ".") || q.equals(d)) throw refused(q);
        if (module.equals("torch") || module.startsWith("torch.")) {
            if (TORCH_ALLOWED.contains(q)) return;
            if (module.equals("torch") && (name.endsWith("Storage") || isTorchDtype(name))) return;
            if (module.startsWith("torch.nn.modules.") || module.equals("torch.nn.modules")) return; // whole pickled modules: generic
            throw refused(q);
        }
        if (module.equals("numpy") || module.startsWith("numpy.")) {
            if (NUMPY_ALLOWED.contains(q)) return;
            if (module.equals("numpy") && (name.matches("(float|int|uint|bool|complex)\\d*_?|str_|bytes_|object_"))) return;
            throw refused(q);
        }
        if ((module.equals("copyreg") || module.equals("copy_reg")) && !name.equals("_reconstructor")) throw refused(q);
        if (module.equals("_codecs") && !name.equals("encode")) throw refused(q);
        if (name.startsWith("__") && !name.endsWith("__")) throw refused(q); // private name-mangled helpers
        if (name.contains("eval") || name.contains("exec") || name.equals("system") || name.equals("popen"))
            throw refused(q);
    }

    private static boolean isTorchDtype(String n) {
        return n.matches("float(16|32|64)?|half|double|bfloat16|u?int(8|16|32|64)|long|int|short|bool|complex(32|64|128)|cfloat|cdouble");
    }

    private static PickleException refused(String q) {
        return new PickleException("unsupported pickle class " + q);
    }
}
