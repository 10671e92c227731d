package autoassign.config;

import autoassign.GoldenFiles;
import autoassign.data.FilterAnnotations;
import autoassign.data.FlipDirection;
import autoassign.data.Pad;
import autoassign.data.RandomFlip;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The configs of every case of {@code <goldens>/pad}, {@code <goldens>/random_flip} and {@code <goldens>/filter_annotations}
 * (scripts/goldens/cached_mix_pad_flip.py), read as a config gives them: Pad's {@code pad_val} must reach OpenCV as MMCV
 * hands it over (an integer in every channel, a float under {@code img} in the first channel only, a tuple per channel),
 * RandomFlip's {@code prob} must give MMCV's {@code prob_list} bit for bit (with {@code 1. - prob} or {@code 1 - sum(prob)}
 * for no flip), FilterAnnotations its thresholds and {@code keep_empty}. The pixels are checked by
 * {@code autoassign.data.PadFilterFlipGoldenTest}.
 */
class TransformGoldenConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> padCases() { return GoldenFiles.jsonCases("pad"); }

    static Stream<Arguments> flipCases() { return GoldenFiles.jsonCases("random_flip"); }

    static Stream<Arguments> filterCases() { return GoldenFiles.jsonCases("filter_annotations"); }

    private static ConfigNode cfg(String file, JsonNode c) { return new ConfigNode(file, "", (ObjectNode) c.get("cfg").deepCopy()); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("padCases")
    void padValReachesOpencvAsInMmcv(String file, Path path) throws IOException {
        JsonNode c = JSON.readTree(path.toFile()), v = c.get("draw").get("cv2_value"), size = c.get("cfg").get("size");
        Pad p = TransformConfig.pad(cfg(file, c));
        assertEquals(List.of(v.get(0).asDouble(), v.get(1).asDouble(), v.get(2).asDouble()), p.fill(), file + ": the value OpenCV receives");
        assertEquals(0.0, v.get(3).asDouble(), file + ": a 3-channel image has no fourth value");
        assertEquals(size == null ? 0 : size.get(0).asInt(), p.sizeW(), file);
        assertEquals(size == null ? 0 : size.get(1).asInt(), p.sizeH(), file);
        JsonNode d = c.get("cfg").get("size_divisor");
        assertEquals(d == null ? 0 : d.asInt(), p.sizeDivisor(), file);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flipCases")
    void flipProbabilitiesAreMmcvsBitForBit(String file, Path path) throws IOException {
        JsonNode c = JSON.readTree(path.toFile()), pl = c.get("draw").get("prob_list");
        RandomFlip f = TransformConfig.flip(cfg(file, c));
        List<Double> want = new ArrayList<>();
        for (int i = 0; i < pl.size() - 1; i++) want.add(pl.get(i).asDouble());
        assertEquals(want, f.probs(), file + ": prob_list");
        assertEquals(pl.get(pl.size() - 1).asDouble(), f.noFlip(), file + ": the no-flip probability");
        JsonNode d = c.get("cfg").get("direction");
        List<FlipDirection> dirs = new ArrayList<>();
        if (d.isArray()) d.forEach(x -> dirs.add(FlipDirection.of(x.asText())));
        else dirs.add(FlipDirection.of(d.asText()));
        assertEquals(dirs, f.directions(), file);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("filterCases")
    void filterSettingsAreRead(String file, Path path) throws IOException {
        JsonNode c = JSON.readTree(path.toFile()), wh = c.get("cfg").get("min_gt_bbox_wh");
        assertEquals(new FilterAnnotations(wh.get(0).asDouble(), wh.get(1).asDouble(), c.get("cfg").get("keep_empty").asBoolean()),
                TransformConfig.filterAnnotations(cfg(file, c)), file);
    }
}
