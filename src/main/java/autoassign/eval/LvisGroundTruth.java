package autoassign.eval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * An LVIS annotation file as lvis-api's {@code LVISEval} reads it for boxes: the COCO part ({@link CocoGroundTruth}:
 * images, categories, annotations with their {@code area}) plus what LVIS adds, each required as lvis-api indexes it
 * (a missing one is a KeyError there, a one-line error here):
 * <ul>
 *   <li>per image {@code neg_category_ids} (categories verified absent: their detections count) and
 *       {@code not_exhaustive_category_ids} (categories not fully annotated: their unmatched detections are ignored);</li>
 *   <li>per category {@code frequency}: 'r', 'c' or 'f', the groups of APr, APc, APf.</li>
 * </ul>
 * {@code iscrowd} plays no part in LVIS (lvis-api passes iscrowd 0 for every box); an annotation's {@code ignore} key,
 * which lvis-api would honour, is not read (LVIS files have none).
 *
 * @param coco         the COCO part
 * @param negative     image id → its {@code neg_category_ids}
 * @param notExhaustive image id → its {@code not_exhaustive_category_ids}
 * @param frequency    category id → 'r', 'c' or 'f'
 */
public record LvisGroundTruth(CocoGroundTruth coco, Map<Long, Set<Long>> negative, Map<Long, Set<Long>> notExhaustive,
                              Map<Long, Character> frequency) {

    /** Reads an LVIS json; problems are {@link CocoFormatException}s naming the file. */
    public static LvisGroundTruth read(Path file) {
        CocoGroundTruth coco = CocoGroundTruth.read(file);
        return Json.read(file, p -> parse(p, file, coco));
    }

    /** The second pass: the LVIS keys of images and categories. */
    private static LvisGroundTruth parse(JsonParser p, Path file, CocoGroundTruth coco) throws IOException {
        Map<Long, Set<Long>> neg = new HashMap<>(), nel = new HashMap<>();
        Map<Long, Character> freq = new HashMap<>();
        p.nextToken();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("images")) readImages(p, file, neg, nel);
            else if (field.equals("categories")) readCategories(p, file, freq);
            else p.skipChildren();
        }
        return new LvisGroundTruth(coco, Map.copyOf(neg), Map.copyOf(nel), Map.copyOf(freq));
    }

    private static void readImages(JsonParser p, Path file, Map<Long, Set<Long>> neg, Map<Long, Set<Long>> nel) throws IOException {
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String what = "images[" + i++ + "]";
            Long id = null;
            Set<Long> n = null, e = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                switch (f) {
                    case "id" -> id = Json.id(p, file, what + ".id");
                    case "neg_category_ids" -> n = ids(p, file, what + ".neg_category_ids");
                    case "not_exhaustive_category_ids" -> e = ids(p, file, what + ".not_exhaustive_category_ids");
                    default -> p.skipChildren();
                }
            }
            String missing = n == null ? "neg_category_ids" : e == null ? "not_exhaustive_category_ids" : null;
            if (missing != null) throw new CocoFormatException(file, what + (id == null ? "" : " (id " + id + ")")
                    + " has no \"" + missing + "\" (an LVIS ground truth lists it for every image)");
            neg.put(id, n); // a repeated image id: the last record, as lvis-api's index
            nel.put(id, e);
        }
    }

    private static void readCategories(JsonParser p, Path file, Map<Long, Character> freq) throws IOException {
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String what = "categories[" + i++ + "]";
            Long id = null;
            String f = null, notString = null; // notString: what a "frequency" of another type is
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (key.equals("id")) id = Json.id(p, file, what + ".id");
                else if (key.equals("frequency") && p.currentToken() == JsonToken.VALUE_STRING) f = p.getText();
                else if (key.equals("frequency")) { notString = Json.describe(p.currentToken()); p.skipChildren(); }
                else p.skipChildren();
            }
            if (f == null || !(f.equals("r") || f.equals("c") || f.equals("f")))
                throw new CocoFormatException(file, what + (id == null ? "" : " (id " + id + ")") + (f != null
                        ? " has frequency '" + f + "'" : notString != null ? " has a \"frequency\" that is " + notString
                        : " has no \"frequency\"") + ": LVIS needs 'r', 'c' or 'f' for APr / APc / APf");
            freq.put(id, f.charAt(0));
        }
    }

    /** A list of category ids. */
    private static Set<Long> ids(JsonParser p, Path file, String what) throws IOException {
        Json.expect(p, JsonToken.START_ARRAY, file, what);
        Set<Long> out = new java.util.HashSet<>();
        while (p.nextToken() != JsonToken.END_ARRAY) out.add(Json.id(p, file, what + "[]"));
        return Set.copyOf(out);
    }
}
