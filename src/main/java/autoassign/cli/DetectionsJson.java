package autoassign.cli;

import autoassign.api.Detection;
import autoassign.io.AtomicFiles;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The COCO-style results list that {@code detect} and {@code video} write: one object per detection with
 * {@code image_id}, {@code category_id}, {@code bbox} as {@code [x, y, w, h]}, {@code score} and {@code class_name}.
 */
final class DetectionsJson {
    private DetectionsJson() {}

    /** The detections of one image (or video frame) and the id they are written under. */
    record Image(long imageId, List<Detection> detections) {}

    /** Writes the images' detections, in order, through a temporary file. */
    static void write(Path json, List<Image> images) throws IOException {
        AtomicFiles.write(json, os -> {
            try (JsonGenerator g = new JsonFactory().createGenerator(os, JsonEncoding.UTF8)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                g.setPrettyPrinter(new DefaultPrettyPrinter());
                g.writeStartArray();
                for (Image img : images) {
                    for (Detection d : img.detections()) {
                        g.writeStartObject();
                        g.writeNumberField("image_id", img.imageId());
                        g.writeNumberField("category_id", d.categoryId());
                        g.writeArrayFieldStart("bbox");
                        g.writeNumber((double) d.x1());
                        g.writeNumber((double) d.y1());
                        g.writeNumber((double) d.x2() - (double) d.x1());
                        g.writeNumber((double) d.y2() - (double) d.y1());
                        g.writeEndArray();
                        g.writeNumberField("score", (double) d.score());
                        g.writeStringField("class_name", d.className());
                        g.writeEndObject();
                    }
                }
                g.writeEndArray();
            }
        });
    }
}
