package autoassign.data;

import autoassign.eval.PyFloat;
import autoassign.io.AtomicFiles;
import autoassign.io.PyJson;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MMDetection 3.3.0's {@code tools/misc/split_coco.py}: a COCO annotation file split into a labeled part (a random
 * {@code percent} of the images with their annotations) and the unlabeled rest, for semi-supervised detection, with
 * the same draws ({@code np.random.seed(fold); np.random.choice(range(n), size=int(percent / 100. * n))}: with
 * replacement, so fewer distinct images than the size; {@link NumpyRandomState}) and byte-identical output files
 * ({@code json.dump} of {@code dict(images, annotations, licenses, categories, info)}; {@link PyJson}).
 *
 * <p>An annotation is labeled when its {@code image_id} equals (as Python's set membership: {@code 1 == 1.0 == True})
 * the {@code id} of a labeled image. Each image and annotation is kept as its {@code json.dump} text, so a split of
 * COCO train2017 needs about the file's size in memory.
 */
public final class CocoSemiSplit {
    private CocoSemiSplit() {}

    /** An id that Python could not look up, with why (the error split_coco.py would raise). */
    private record Bad(String why) {}

    /** Python's {@code None} as a set member. */
    private enum PyNone { NONE }

    /** The NaN of Python's json ({@code NaN} tokens are one float object, so they match each other in a set). */
    private enum PyNaN { NAN }

    /** What split_coco.py uses of an annotation file: the images and annotations as written, their ids, the copied keys. */
    public static final class Source {
        private final Path file;
        private final List<byte[]> images = new ArrayList<>(), annotations = new ArrayList<>();
        private final List<Object> imageIds = new ArrayList<>(), annImageIds = new ArrayList<>();
        private String imagesProblem = "has no 'images' key", annotationsProblem = "has no 'annotations' key";
        private byte[] licenses, categories, info;

        private Source(Path file) { this.file = file; }

        public Path file() { return file; }

        public int images() { return images.size(); }

        public int annotations() { return annotations.size(); }
    }

    /**
     * A percentage and its text in the file names (Python's f-string of it): a float from the command line
     * ({@code 1.0}, {@code 12.5}, {@code 1e-05}: argparse's type=float), or an int of the script's default
     * {@code [1, 2, 5, 10]} (argparse converts string defaults only, so the default names read {@code 1@10}, not {@code 1@10.0}).
     */
    public record Percent(double value, String text) {
        public static Percent ofFloat(double p) { return new Percent(p, PyFloat.repr(p)); }

        public static Percent ofInt(int p) { return new Percent(p, Integer.toString(p)); }
    }

    /** The labeled half of one (fold, percent) split; the unlabeled half is the rest. */
    public record Split(long fold, Percent percent, boolean[] labeledImages, boolean[] labeledAnnotations) {
        /** {@code instances_train2017.{fold}@{percent}}. */
        public String labeledName() { return "instances_train2017." + fold + "@" + percent.text(); }

        public String unlabeledName() { return labeledName() + "-unlabeled"; }
    }

    /** One file written: where, and how many images and annotations it holds. */
    public record Written(Path file, int images, int annotations) {}

    /** Reads an annotation file as {@code mmengine.load} / {@code json.load} (strict UTF-8); errors name the file. */
    public static Source read(Path file) {
        Source s = new Source(file);
        try (JsonParser p = PyJson.open(file)) {
            JsonToken t = PyJson.first(p);
            if (t != JsonToken.START_OBJECT) throw fail(file, "the top-level value is " + pyType(PyJson.readValue(p)) + ", not a dict (split_coco.py reads anns['images'])");
            StringBuilder sb = new StringBuilder();
            while ((t = PyJson.next(p)) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                PyJson.next(p);
                switch (key) { // a repeated key: the last value counts, as in a Python dict
                    case "images" -> s.imagesProblem = records(p, s.images, s.imageIds, "id", sb);
                    case "annotations" -> s.annotationsProblem = records(p, s.annotations, s.annImageIds, "image_id", sb);
                    case "licenses" -> s.licenses = dumped(p, sb);
                    case "categories" -> s.categories = dumped(p, sb);
                    case "info" -> s.info = dumped(p, sb);
                    default -> PyJson.readValue(p); // read (Python would refuse a bad one too), not kept
                }
            }
            if (t != JsonToken.END_OBJECT) throw fail(file, "invalid JSON: unexpected end of input");
            PyJson.end(p);
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
            throw fail(file, "no such file");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw fail(file, "not valid UTF-8 text (Python's json.load reads it as UTF-8)");
        } catch (PyJson.FormatException e) {
            throw fail(file, e.getMessage());
        } catch (IOException e) {
            throw fail(file, "cannot read: " + e.getMessage());
        }
        if (s.imagesProblem != null) throw fail(file, s.imagesProblem);
        if (s.annotationsProblem != null) throw fail(file, s.annotationsProblem);
        return s;
    }

    /** Reads a list of records (each kept as its json.dump text, with the key of its {@code idField}); else why not. */
    private static String records(JsonParser p, List<byte[]> texts, List<Object> ids, String idField, StringBuilder sb) throws IOException {
        texts.clear();
        ids.clear();
        String what = idField.equals("id") ? "images" : "annotations";
        if (p.currentToken() != JsonToken.START_ARRAY) return "'" + what + "' is " + pyType(PyJson.readValue(p)) + ", not a list";
        JsonToken t;
        while ((t = PyJson.next(p)) != JsonToken.END_ARRAY) {
            if (t == null) throw new PyJson.FormatException("invalid JSON: unexpected end of input in '" + what + "'");
            Object v = PyJson.readValue(p);
            String at = what + "[" + texts.size() + "]";
            if (!(v instanceof Map<?, ?> m)) ids.add(new Bad(at + " is " + pyType(v) + ", not a dict"));
            else if (!m.containsKey(idField)) ids.add(new Bad(at + " has no '" + idField + "' (KeyError)"));
            else ids.add(key(m.get(idField), at + "['" + idField + "']"));
            texts.add(dump(v, sb));
        }
        return null;
    }

    private static byte[] dumped(JsonParser p, StringBuilder sb) throws IOException {
        return dump(PyJson.readValue(p), sb);
    }

    private static byte[] dump(Object v, StringBuilder sb) {
        sb.setLength(0);
        PyJson.dump(v, sb);
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1); // json.dump's ensure_ascii text
    }

    /**
     * The value as a set member with Python's equality: numbers by value ({@code True == 1 == 1.0}), strings, None,
     * NaN (json's one NaN object); a list or dict is unhashable.
     */
    static Object key(Object v, String where) {
        if (v == null) return PyNone.NONE;
        if (v instanceof Boolean b) return b ? 1L : 0L;
        if (v instanceof Long || v instanceof BigInteger || v instanceof String) return v;
        if (v instanceof PyJson.Float f) {
            double d = f.value();
            if (Double.isNaN(d)) return PyNaN.NAN;
            if (Double.isInfinite(d) || d != Math.rint(d)) return d;
            if (d >= -0x1p63 && d < 0x1p63) return (long) d; // -0.0 is 0
            return new java.math.BigDecimal(d).toBigIntegerExact();
        }
        return new Bad(where + " is unhashable (" + pyType(v) + ")");
    }

    /** Python's type name of a json value. */
    static String pyType(Object v) {
        if (v == null) return "None";
        if (v instanceof Map) return "a dict";
        if (v instanceof List) return "a list";
        if (v instanceof String) return "a str";
        if (v instanceof Boolean) return "a bool";
        if (v instanceof PyJson.Float) return "a float";
        return "an int";
    }

    /**
     * The labeled images and annotations of split (fold, percent), as the script draws them; an error where the script
     * would raise (a size numpy refuses, a labeled image without an id, an annotation without an image id, ...).
     */
    public static Split split(Source s, long fold, Percent percent) {
        int n = s.images();
        double v = percent.value() / 100. * n; // labeled_total = int(percent / 100. * len(image_list))
        String size = "--labeled-percent " + percent.text() + " of " + n + " images: ";
        if (Double.isNaN(v)) throw new DataException(size + "int(percent / 100. * n) fails (cannot convert float NaN to integer)");
        if (Double.isInfinite(v)) throw new DataException(size + "int(percent / 100. * n) fails (cannot convert float infinity to integer)");
        if (v >= 0x1p63) throw new DataException(size + "np.random.choice refuses size " + PyFloat.repr(v) + " (Maximum allowed dimension exceeded)");
        long total = (long) v; // int() truncates toward zero
        if (total < 0) throw new DataException(size + "np.random.choice refuses size " + total + " (negative dimensions are not allowed)");
        boolean[] labeled = new boolean[n];
        if (total > 0) {
            NumpyRandomState rs = new NumpyRandomState(fold);
            int distinct = 0;
            for (long k = 0; k < total && distinct < n; k++) { // once every image is drawn, later draws change nothing
                int i = (int) rs.randint(n);
                if (!labeled[i]) {
                    labeled[i] = true;
                    distinct++;
                }
            }
        }
        Set<Object> ids = new HashSet<>();
        for (int i = 0; i < n; i++) {
            if (!labeled[i]) continue;
            Object id = s.imageIds.get(i);
            if (id instanceof Bad b) throw fail(s.file, b.why() + ", and the split " + fold + "@" + percent.text() + " labels it");
            ids.add(id);
        }
        boolean[] labeledAnns = new boolean[s.annotations()];
        for (int j = 0; j < labeledAnns.length; j++) {
            Object id = s.annImageIds.get(j);
            if (id instanceof Bad b) throw fail(s.file, b.why());
            labeledAnns[j] = ids.contains(id);
        }
        for (String key : new String[] {"licenses", "categories", "info"})
            if (copied(s, key) == null) throw fail(s.file, "has no '" + key + "' key (split_coco.py copies anns['" + key + "'] into its outputs: KeyError)");
        return new Split(fold, percent, labeled, labeledAnns);
    }

    private static byte[] copied(Source s, String key) {
        return switch (key) {
            case "licenses" -> s.licenses;
            case "categories" -> s.categories;
            default -> s.info;
        };
    }

    /** Writes {@code outDir/<name>.json} and {@code outDir/<name>-unlabeled.json} (each through a temporary file). */
    public static List<Written> write(Source s, Split split, Path outDir) throws IOException {
        return List.of(write(s, split, true, outDir.resolve(split.labeledName() + ".json")),
                write(s, split, false, outDir.resolve(split.unlabeledName() + ".json")));
    }

    private static Written write(Source s, Split split, boolean labeled, Path file) throws IOException {
        int[] counts = new int[2];
        AtomicFiles.write(file, out -> {
            ascii(out, "{\"images\": [");
            counts[0] = items(out, s.images, split.labeledImages(), labeled);
            ascii(out, "], \"annotations\": [");
            counts[1] = items(out, s.annotations, split.labeledAnnotations(), labeled);
            ascii(out, "], \"licenses\": ");
            out.write(s.licenses);
            ascii(out, ", \"categories\": ");
            out.write(s.categories);
            ascii(out, ", \"info\": ");
            out.write(s.info);
            ascii(out, "}");
        });
        return new Written(file, counts[0], counts[1]);
    }

    private static int items(OutputStream out, List<byte[]> texts, boolean[] labeled, boolean want) throws IOException {
        int count = 0;
        for (int i = 0; i < texts.size(); i++) {
            if (labeled[i] != want) continue;
            if (count++ > 0) ascii(out, ", ");
            out.write(texts.get(i));
        }
        return count;
    }

    private static void ascii(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static DataException fail(Path file, String message) {
        return new DataException(file + ": " + message);
    }
}
