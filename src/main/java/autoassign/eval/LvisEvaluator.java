package autoassign.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * lvis-api's box evaluation ({@code LVISResults} + {@code LVISEval(iou_type='bbox')}: evaluate, accumulate,
 * summarize), as MMDetection 3.3's {@code LVISMetric} runs it. LVISEval's matching and accumulation are COCOeval's
 * ({@link CocoEvaluator}) on other inputs; what LVIS changes is done here before it:
 * <ul>
 *   <li>results: each image's 300 best detections by score ({@code LVISResults.limit_dets_per_image}, a stable sort),
 *       before anything else is filtered; then no limit per image and category (maxDets is 300 per image);</li>
 *   <li>boxes of area in (0, ∞) only, ground truth ({@code area} field) and detections ({@code w·h}) alike
 *       ({@code get_ann_ids}' open area range); no crowd boxes (lvis-api passes iscrowd 0);</li>
 *   <li>federated annotation: on an image, a category is evaluated only if it has ground truth there or is in the
 *       image's {@code neg_category_ids}; detections of other categories are dropped;</li>
 *   <li>an unmatched detection of a category in the image's {@code not_exhaustive_category_ids} is ignored (one
 *       predicate given to the COCO accumulation, beside its area-range rule).</li>
 * </ul>
 * The summary over these arrays is {@link LvisEvalResult}'s.
 */
public final class LvisEvaluator {
    private LvisEvaluator() {}

    /** LVISResults' (and Params') detections per image. */
    public static final int MAX_DETS = 300;

    /** LVISEval's Params: COCO's IoU thresholds, 101 recall thresholds and area ranges, maxDets 300 per image. */
    static final CocoEvalParams PARAMS = new CocoEvalParams(CocoEvalParams.standard().iouThrs(), CocoEvalParams.standard().recThrs(),
            new int[] {MAX_DETS}, CocoEvalParams.standard().areaRng(), CocoEvalParams.standard().areaLbl(), CocoEvalParams.STANDARD_NAMES);

    /**
     * Evaluates {@code dt} (in results-file order) against {@code gt}.
     *
     * @throws CocoFormatException when a detection names an image the ground truth lacks (LVISResults asserts)
     */
    public static LvisEvalResult evaluate(LvisGroundTruth gt, CocoDetections dt, boolean classwise) {
        CocoGroundTruth g = gt.coco();
        for (CocoDetections.Detection d : dt.detections())
            if (!g.hasImage(d.imageId()))
                throw new CocoFormatException(dt.file(), "detection " + d.id() + ": image_id " + d.imageId()
                        + " is not an image of the LVIS ground truth (LVISResults asserts it)");
        List<CocoGroundTruth.Annotation> anns = new ArrayList<>();
        Map<Long, Set<Long>> positive = new HashMap<>();
        for (CocoGroundTruth.Annotation a : g.annotations()) {
            if (!g.hasImage(a.imageId()) || !g.hasCategory(a.categoryId()) || !inAreaRange(a.area())) continue;
            anns.add(new CocoGroundTruth.Annotation(a.id(), a.imageId(), a.categoryId(), a.x(), a.y(), a.w(), a.h(), a.area(), false));
            positive.computeIfAbsent(a.imageId(), k -> new HashSet<>()).add(a.categoryId());
        }
        List<CocoDetections.Detection> dets = new ArrayList<>();
        for (CocoDetections.Detection d : bestPerImage(dt.detections(), MAX_DETS)) {
            long img = d.imageId(), cat = d.categoryId();
            if (!g.hasCategory(cat) || !inAreaRange(d.area())) continue;
            if (gt.negative().get(img).contains(cat) || positive.getOrDefault(img, Set.of()).contains(cat)) dets.add(d);
        }
        CocoGroundTruth boxes = new CocoGroundTruth(g.file(), g.imageIds(), g.categories(), List.copyOf(anns));
        double[][] pr = CocoEvaluator.accumulate(boxes, new CocoDetections(dt.file(), dets), PARAMS,
                d -> gt.notExhaustive().get(d.imageId()).contains(d.categoryId()));
        return new LvisEvalResult(g.categoryIds(), g.categories(), gt.frequency(), pr[0], pr[1], classwise);
    }

    /** {@code get_ann_ids}' area filter: strictly between 0 and infinity. */
    private static boolean inAreaRange(double area) {
        return area > 0 && area < Double.POSITIVE_INFINITY;
    }

    /**
     * {@code LVISResults.limit_dets_per_image}: an image with more than {@code max} detections keeps its {@code max}
     * highest-scoring ones (Python's stable sort: ties keep their order). The kept detections stay in results order:
     * lvis-api regroups them by image, which changes no later step (each sorts them stably by score again).
     */
    static List<CocoDetections.Detection> bestPerImage(List<CocoDetections.Detection> dets, int max) {
        Map<Long, List<Integer>> byImage = new LinkedHashMap<>();
        for (int i = 0; i < dets.size(); i++) byImage.computeIfAbsent(dets.get(i).imageId(), k -> new ArrayList<>()).add(i);
        boolean[] keep = new boolean[dets.size()];
        for (List<Integer> idx : byImage.values()) {
            List<Integer> best = new ArrayList<>(idx);
            if (best.size() > max) {
                best.sort((a, b) -> { // descending, as Python compares floats (-0.0 == 0.0); List.sort is stable
                    double sa = dets.get(a).score(), sb = dets.get(b).score();
                    return sb > sa ? 1 : sb < sa ? -1 : 0;
                });
                best = best.subList(0, max);
            }
            for (int i : best) keep[i] = true;
        }
        List<CocoDetections.Detection> out = new ArrayList<>();
        for (int i = 0; i < keep.length; i++) if (keep[i]) out.add(dets.get(i));
        return out;
    }
}
