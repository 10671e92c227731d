package autoassign.loss;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

/** One case of {@code goldens/autoassign_loss/*.json} (schema in that folder's README). */
final class LossGoldenCase {
    static final String[] GRAD_KEYS = {"cls_scores", "bbox_preds", "objectnesses", "center_prior_mean", "center_prior_sigma"};

    final String name;
    final int numClasses, batch;
    final int[] strides;
    final int[][] featmapSizes;
    /** Per level, NCHW, as doubles (exact float64 of the file). */
    final double[][] cls, bbox, obj;
    final double[] mean, sigma;
    final double[][] gtBoxes;
    final int[][] gtLabels;
    final double lossPos, lossNeg, lossCenter;
    final JsonNode outputs;

    /** Folder of the cases: {@code <goldens.dir>/autoassign_loss}, default the copy in test resources. */
    static Path folder() {
        return autoassign.GoldenFiles.folder("autoassign_loss");
    }

    static Stream<String> caseFiles() {
        return autoassign.GoldenFiles.entries("autoassign_loss", p -> p.getFileName().toString().endsWith(".json")).stream()
                .map(p -> p.getFileName().toString());
    }

    static LossGoldenCase load(String fileName) throws IOException {
        return new LossGoldenCase(new ObjectMapper().readTree(folder().resolve(fileName).toFile()));
    }

    private LossGoldenCase(JsonNode root) {
        name = root.path("case").asText();
        numClasses = root.get("num_classes").asInt();
        JsonNode st = root.get("strides");
        strides = new int[st.size()];
        for (int l = 0; l < strides.length; l++) strides[l] = st.get(l).asInt();
        JsonNode fs = root.get("featmap_sizes");
        featmapSizes = new int[fs.size()][];
        for (int l = 0; l < featmapSizes.length; l++)
            featmapSizes[l] = new int[] {fs.get(l).get(0).asInt(), fs.get(l).get(1).asInt()};
        JsonNode in = root.get("inputs");
        cls = levels(in.get("cls_scores"));
        bbox = levels(in.get("bbox_preds"));
        obj = levels(in.get("objectnesses"));
        mean = doubles(in.get("center_prior_mean"));
        sigma = doubles(in.get("center_prior_sigma"));
        JsonNode gb = in.get("gt_bboxes"), gl = in.get("gt_labels");
        batch = gb.size();
        gtBoxes = new double[batch][];
        gtLabels = new int[batch][];
        for (int b = 0; b < batch; b++) {
            JsonNode boxes = gb.get(b);
            gtBoxes[b] = new double[boxes.size() * 4];
            for (int g = 0; g < boxes.size(); g++)
                for (int k = 0; k < 4; k++) gtBoxes[b][4 * g + k] = boxes.get(g).get(k).asDouble();
            gtLabels[b] = new int[gl.get(b).size()];
            for (int g = 0; g < gtLabels[b].length; g++) gtLabels[b][g] = gl.get(b).get(g).asInt();
        }
        outputs = root.get("outputs");
        lossPos = outputs.get("loss_pos").asDouble();
        lossNeg = outputs.get("loss_neg").asDouble();
        lossCenter = outputs.get("loss_center").asDouble();
    }

    PointGrid grid() {
        return PointGrid.of(featmapSizes, strides);
    }

    /** Expected gradient: per level (or one flat array for mean/sigma). */
    double[][] grad(String set, String key) {
        JsonNode n = outputs.get(set).get(key);
        if (n.size() > 0 && n.get(0).isArray()) return levels(n);
        return new double[][] {doubles(n)};
    }

    /** The array-level op's input batch (image-major floats). */
    AutoAssignLossOp.Batch toBatch() {
        PointGrid grid = grid();
        GroundTruth[] gts = new GroundTruth[batch];
        for (int b = 0; b < batch; b++) gts[b] = new GroundTruth(f(gtBoxes[b]), gtLabels[b].clone());
        return new AutoAssignLossOp.Batch(grid, numClasses,
                grid.levelsToImages(f(cls), batch, numClasses),
                grid.levelsToImages(f(bbox), batch, 4),
                grid.levelsToImages(f(obj), batch, 1),
                f(mean), f(sigma), gts);
    }

    static double[][] levels(JsonNode n) {
        double[][] out = new double[n.size()][];
        for (int l = 0; l < out.length; l++) out[l] = doubles(n.get(l));
        return out;
    }

    static double[] doubles(JsonNode n) {
        double[] d = new double[n.size()];
        for (int i = 0; i < d.length; i++) d[i] = n.get(i).asDouble();
        return d;
    }

    static float[] f(double[] d) {
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) out[i] = (float) d[i];
        return out;
    }

    static float[][] f(double[][] d) {
        float[][] out = new float[d.length][];
        for (int i = 0; i < d.length; i++) out[i] = f(d[i]);
        return out;
    }

    @Override public String toString() {
        return name;
    }
}
