package autoassign.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CrowdHuman annotation file ({@code .odgt}): one json record per line, {@code {"ID": ..., "gtboxes": [{"tag":
 * "person" | "mask", "fbox": [x, y, w, h], "hbox": [...], "vbox": [...], "extra": {"ignore": 0|1}, "head_attr":
 * {"ignore": 0|1}}, ...]}}, read as MMDetection reads it ({@code get_text(...).strip().split('\n')}, each line
 * {@code json.loads}). Shared by {@link CrowdHumanDataset} and the metric ({@link autoassign.eval.CrowdHumanEval}).
 */
public final class Odgt {
    private Odgt() {}

    /**
     * One {@code gtboxes} entry; boxes are {@code [x, y, w, h]} as written (null when the key is absent).
     *
     * @param extraIgnore {@code extra.ignore != 0}
     * @param headIgnore  {@code head_attr.ignore != 0}
     */
    public record Person(String tag, double[] fbox, double[] hbox, double[] vbox, boolean extraIgnore, boolean headIgnore) {}

    /** One line: the image {@code ID}, its {@code width} / {@code height} when the record has them (else null). */
    public record Entry(String id, Double width, Double height, List<Person> people) {}

    // json.loads refuses text after the record ("Extra data"): so does this reader
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The file's records in order; a DataException names the file and line of a bad one. */
    public static List<Entry> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": annotation file not found");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read annotation file (" + e.getMessage() + ")");
        }
        List<Entry> out = new ArrayList<>();
        String[] lines = text.strip().split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String where = file + ": line " + (i + 1);
            if (lines[i].isBlank()) throw new DataException(lines.length == 1 ? file + ": an empty file, no json record"
                    : where + ": a blank line, not a json record (MMDetection's json.loads fails on it)");
            JsonNode rec;
            try {
                rec = JSON.readTree(lines[i]);
            } catch (JsonProcessingException e) {
                String why = e.getOriginalMessage().startsWith("Trailing token") ? "more after the record: one record per line"
                        : CocoJson.oneLine(e.getOriginalMessage());
                throw new DataException(where + ": not a json record (" + why + ")");
            }
            if (rec == null || !rec.isObject()) throw new DataException(where + ": not a json object");
            JsonNode id = rec.get("ID"), boxes = rec.get("gtboxes");
            if (id == null || !id.isTextual()) throw new DataException(where + ": no \"ID\" string");
            if (boxes == null || !boxes.isArray()) throw new DataException(where + " (ID " + id.asText() + "): no \"gtboxes\" list");
            List<Person> people = new ArrayList<>();
            for (int k = 0; k < boxes.size(); k++) people.add(person(boxes.get(k), where + " (ID " + id.asText() + "), gtboxes[" + k + "]"));
            out.add(new Entry(id.asText(), number(rec.get("width")), number(rec.get("height")), List.copyOf(people)));
        }
        return List.copyOf(out);
    }

    private static Person person(JsonNode b, String where) {
        if (!b.isObject()) throw new DataException(where + ": not an object");
        JsonNode tag = b.get("tag");
        if (tag == null || !tag.isTextual()) throw new DataException(where + ": no \"tag\" string");
        double[] fbox = box(b.get("fbox"), where, "fbox");
        if (fbox == null) throw new DataException(where + ": no \"fbox\" [x, y, w, h]");
        return new Person(tag.asText(), fbox, box(b.get("hbox"), where, "hbox"), box(b.get("vbox"), where, "vbox"),
                ignored(b.get("extra")), ignored(b.get("head_attr")));
    }

    /** {@code d['ignore'] != 0} of an {@code extra} / {@code head_attr} dict (false when either is absent). */
    private static boolean ignored(JsonNode d) {
        JsonNode v = d == null || !d.isObject() ? null : d.get("ignore");
        if (v == null) return false;
        if (v.isNumber()) return v.asDouble() != 0;
        if (v.isBoolean()) return v.asBoolean();
        return true; // Python: a string or list is never == 0
    }

    private static double[] box(JsonNode v, String where, String key) {
        if (v == null) return null;
        if (!v.isArray() || v.size() != 4) throw new DataException(where + ": \"" + key + "\" is not [x, y, w, h]");
        double[] out = new double[4];
        for (int i = 0; i < 4; i++) {
            if (!v.get(i).isNumber()) throw new DataException(where + ": \"" + key + "\" is not [x, y, w, h] of numbers");
            out[i] = v.get(i).asDouble();
        }
        return out;
    }

    private static Double number(JsonNode v) { return v != null && v.isNumber() ? v.asDouble() : null; }
}
