package autoassign.data;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.List;

/** The parts of a COCO {@code instances} json the dataset converters write, in MMDetection's converters' field order. */
final class CocoJsonWriter {
    private CocoJsonWriter() {}

    /** A generator over {@code os} that leaves it open (the atomic writer closes and renames it). */
    static JsonGenerator open(java.io.OutputStream os) throws IOException {
        return new com.fasterxml.jackson.core.JsonFactory().createGenerator(os).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    }

    /** One {@code images} entry. */
    static void image(JsonGenerator g, int id, String fileName, int width, int height) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", id);
        g.writeStringField("file_name", fileName);
        g.writeNumberField("height", height);
        g.writeNumberField("width", width);
        g.writeEndObject();
    }

    /** {@code "type": "instance", "categories": [...]}: the names with ids from 0, supercategory "none". */
    static void typeAndCategories(JsonGenerator g, List<String> names) throws IOException {
        g.writeStringField("type", "instance");
        g.writeArrayFieldStart("categories");
        for (int c = 0; c < names.size(); c++) {
            g.writeStartObject();
            g.writeStringField("supercategory", "none");
            g.writeNumberField("id", c);
            g.writeStringField("name", names.get(c));
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
