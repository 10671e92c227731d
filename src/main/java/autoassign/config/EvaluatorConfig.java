package autoassign.config;

/**
 * {@code val_evaluator} / {@code test_evaluator}: MMDetection's {@code CocoMetric}, or {@code VOCMetric}
 * ({@code metric: mAP}, {@code iou_thrs}, {@code eval_mode}; the ground truth is the dataset's instances, its
 * crowd / ignored boxes VOC's difficult ones), or {@code LVISMetric} ({@code metric: bbox}; lvis-api's LVISEval), or
 * {@code CrowdHumanMetric}, or {@code OpenImagesMetric} (over an Open Images dataset's own files).
 *
 * @param annFile       ground truth json relative to the data root (null: the dataset's, or synthetic)
 * @param metric        "bbox" (CocoMetric) or "mAP" (VOCMetric)
 * @param classwise     also report per-class AP
 * @param formatOnly    {@code format_only}: only write the detections (e.g. COCO test-dev, whose image-info file
 *                      has no annotations), no evaluation
 * @param outfilePrefix {@code outfile_prefix}: the detections go to {@code <prefix>.bbox.json} (null: not written)
 * @param voc           a VOCMetric
 * @param lvis          an LVISMetric ({@code metricItems}: its items, in lvis-api's result order)
 * @param iouThrs       VOCMetric's {@code iou_thrs} ([0.5]); CocoMetric's (empty: its default .50:.05:.95)
 * @param elevenPoints  VOCMetric's {@code eval_mode: 11points} (its default), else {@code area}
 * @param proposalNums  CocoMetric's {@code proposal_nums}, COCOeval's maxDets (empty: its default 100, 300, 1000)
 * @param metricItems   CocoMetric's {@code metric_items} (empty: its default, the six mAP numbers)
 * @param mpEval        CocoMetric's {@code use_mp_eval} (COCOevalMP: the same evaluation, its own summary)
 * @param crowdHuman    a CrowdHumanMetric's settings ({@code annFile}: its .odgt), else null
 * @param openImages    an OpenImagesMetric's settings (its ground truth: the dataset's files), else null
 */
public record EvaluatorConfig(String annFile, String metric, boolean classwise, boolean formatOnly, String outfilePrefix,
                             boolean voc, boolean lvis, java.util.List<Double> iouThrs, boolean elevenPoints,
                             java.util.List<Integer> proposalNums, java.util.List<String> metricItems, boolean mpEval,
                             CrowdHuman crowdHuman, autoassign.eval.OpenImagesMetric.Params openImages) {

    /**
     * MMDetection's {@code CrowdHumanMetric} ({@link autoassign.eval.CrowdHumanMetric}).
     *
     * @param metrics its {@code metric} list in order (AP, MR, JI)
     */
    public record CrowdHuman(java.util.List<String> metrics, autoassign.eval.CrowdHumanEval.Params params) {}

    /** A CrowdHumanMetric. */
    public boolean crowd() { return crowdHuman != null; }

    /** An OpenImagesMetric ({@link autoassign.eval.OpenImagesMetric}). */
    public boolean openImagesMetric() { return openImages != null; }
    public EvaluatorConfig {
        iouThrs = java.util.List.copyOf(iouThrs);
        proposalNums = java.util.List.copyOf(proposalNums);
        metricItems = java.util.List.copyOf(metricItems);
    }

    /**
     * The COCOeval parameters of this CocoMetric: {@code former} (the engine's choice before these keys existed:
     * pycocotools' maxDets 1, 10, 100 in training, {@code eval}'s {@code --mmdet} flag) when the config sets none of
     * {@code iou_thrs}, {@code proposal_nums}, {@code metric_items}, {@code use_mp_eval}, so such configs print what
     * they printed; else CocoMetric's own (its default proposal_nums 100, 300, 1000 where not given).
     */
    public autoassign.eval.CocoEvalParams cocoParams(autoassign.eval.CocoEvalParams former) {
        if (voc || lvis || crowd() || openImagesMetric()) throw new IllegalStateException("only a CocoMetric has COCOeval parameters");
        if (iouThrs.isEmpty() && proposalNums.isEmpty() && metricItems.isEmpty() && !mpEval) return former;
        return autoassign.eval.CocoEvalParams.cocoMetric(
                iouThrs.isEmpty() ? null : iouThrs.stream().mapToDouble(Double::doubleValue).toArray(),
                proposalNums.isEmpty() ? null : proposalNums.stream().mapToInt(Integer::intValue).toArray(),
                metricItems.isEmpty() ? null : metricItems, mpEval);
    }

    /** The names of the metrics this evaluator reports (what {@code save_best} and early stopping may follow). */
    public java.util.List<String> metricNames() {
        if (lvis) return metricItems.stream().map(i -> autoassign.eval.LvisEvalResult.PREFIX + "bbox_" + i).toList();
        if (crowd()) return crowdHuman.metrics().stream().map(autoassign.eval.CrowdHumanMetric::metricName).toList();
        if (openImagesMetric()) { // AP50, ... (a repeated key once, as in a dict), then mAP
            java.util.List<String> names = new java.util.ArrayList<>();
            for (double t : openImages.iouThrs()) {
                String k = autoassign.eval.OpenImagesMetric.PREFIX + autoassign.eval.VocMap.apName(t);
                if (!names.contains(k)) names.add(k);
            }
            names.add(autoassign.eval.OpenImagesMetric.PREFIX + "mAP");
            return names;
        }
        if (!voc) return metricItems.isEmpty() ? autoassign.eval.CocoEvalResult.METRIC_NAMES
                : autoassign.eval.CocoMetricItems.metricNames(metricItems);
        java.util.List<String> names = new java.util.ArrayList<>();
        names.add(autoassign.eval.VocMap.PREFIX + "mAP");
        for (double t : iouThrs) names.add(autoassign.eval.VocMap.PREFIX + autoassign.eval.VocMap.apName(t));
        return names;
    }

    /**
     * Whether an evaluation reports {@code name}: one of {@link #metricNames()}, or with {@code classwise: true} a
     * CocoMetric's per-class {@code coco/<class>_precision} (whose class names only the loaded dataset knows:
     * {@link #perClassName}).
     */
    public boolean mayReport(String name) {
        return metricNames().contains(name) || perClassName(name) != null;
    }

    /**
     * Whether it reports a {@code coco/<class>_precision} (or {@code lvis/<class>_precision}) per class (a classwise
     * CocoMetric or LVISMetric), before its bbox_* names.
     */
    public boolean reportsPerClass() { return !voc && !openImagesMetric() && classwise; }

    /** The class of a per-class {@code coco/<class>_precision} ({@code lvis/...}) this evaluator reports, else null. */
    public String perClassName(String name) {
        String head = lvis ? autoassign.eval.LvisEvalResult.PREFIX : "coco/", tail = "_precision";
        if (!reportsPerClass() || !name.startsWith(head) || !name.endsWith(tail) || name.length() <= head.length() + tail.length())
            return null;
        return name.substring(head.length(), name.length() - tail.length());
    }

    static EvaluatorConfig from(ConfigNode n) {
        String type = n.choice("type", "CocoMetric", "CocoMetric", "VOCMetric", "LVISMetric", "CrowdHumanMetric", "OpenImagesMetric");
        if (type.equals("VOCMetric")) return voc(n);
        if (type.equals("OpenImagesMetric")) return openImages(n);
        if (type.equals("CrowdHumanMetric")) return crowdHuman(n);
        if (type.equals("LVISMetric")) return lvis(n);
        String ann = n.string("ann_file", null);
        String metric = cocoMetric(n);
        boolean classwise = n.bool("classwise", false);
        boolean formatOnly = n.bool("format_only", false);
        String prefix = n.string("outfile_prefix", null);
        if (n.raw("iou_thrs") != null && n.raw("iou_thrs").isNumber()) // pycocotools takes len(iouThrs): MMDetection fails
            throw n.error("iou_thrs", "CocoMetric needs a list of thresholds, e.g. [0.5, 0.75], got a number");
        java.util.List<Double> thrs = n.raw("iou_thrs") == null ? java.util.List.of() : iouThrs(n);
        if (classwise && !thrs.isEmpty() && thrs.size() < 6) // the per-class table reads the thresholds at indices 0 and 5
            throw n.error("classwise", "needs at least 6 iou_thrs (MMDetection's table reads AP at the 1st and 6th), got " + thrs.size());
        boolean mpEval = n.bool("use_mp_eval", false);
        java.util.List<Integer> nums = proposalNums(n, mpEval);
        java.util.List<String> items = metricItems(n);
        n.localFilesOnly();
        if (n.raw("file_client_args") != null) // CocoMetric raises: deprecated for backend_args
            throw n.error("file_client_args", "only null is supported (MMDetection 3.x: use backend_args)");
        n.choice("collect_device", "cpu", "cpu", "gpu"); // how ranks gather results: the numbers are the same
        n.choice("prefix", "coco", "coco"); // the metric names coco/bbox_* are fixed here
        n.bool("sort_categories", false); // labels always follow the dataset's classes (the file's order; COCO's is by id)
        n.finish();
        return new EvaluatorConfig(ann, metric, classwise, formatOnly, prefix, false, false, thrs, false, nums, items, mpEval, null, null);
    }

    /** {@code proposal_nums}: at least 3 positive counts (COCOeval's summary reads maxDets[0..2]). */
    private static java.util.List<Integer> proposalNums(ConfigNode n, boolean mpEval) {
        java.util.List<Integer> nums = n.intList("proposal_nums", java.util.List.of());
        if (n.raw("proposal_nums") == null) return nums;
        for (int v : nums) if (v <= 0) throw n.error("proposal_nums", "must be positive counts, got " + nums);
        if (nums.size() < 3)
            throw n.error("proposal_nums", "needs at least 3 values (COCOeval's summary reads the first three), got " + nums);
        if (mpEval && nums.size() != 3)
            throw n.error("proposal_nums", "with use_mp_eval only 3 values are supported (COCOevalMP's summary has 9 + N numbers), got " + nums);
        return nums;
    }

    /** {@code metric_items}: a non-empty list of CocoMetric's item names. */
    private static java.util.List<String> metricItems(ConfigNode n) {
        com.fasterxml.jackson.databind.JsonNode v = n.raw("metric_items");
        if (v == null) return java.util.List.of();
        if (!v.isArray()) throw n.error("metric_items", "must be a list of names, got " + ConfigNode.describe(v));
        if (v.isEmpty()) throw n.error("metric_items", "must name at least one item: " + String.join(", ",
                autoassign.eval.CocoMetricItems.ALL));
        java.util.List<String> items = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode m : v) {
            String item = m.isTextual() ? m.asText() : ConfigNode.describe(m);
            try {
                autoassign.eval.CocoMetricItems.statIndex(item);
            } catch (IllegalArgumentException e) {
                throw n.error("metric_items", e.getMessage());
            }
            items.add(item);
        }
        return items;
    }

    /** {@code iou_thrs}: a number or a non-empty list, each in (0, 1] (CocoMetric's and VOCMetric's). */
    private static java.util.List<Double> iouThrs(ConfigNode n) {
        var raw = n.raw("iou_thrs");
        java.util.List<Double> thrs = raw.isNumber() ? java.util.List.of(raw.asDouble()) : n.doubleList("iou_thrs", null);
        for (double t : thrs) if (!(t > 0 && t <= 1)) throw n.error("iou_thrs", "must be in (0, 1], got " + t);
        if (thrs.isEmpty()) throw n.error("iou_thrs", "must not be empty");
        return thrs;
    }

    /** CocoMetric's {@code metric}: 'bbox', or a list of metrics holding only 'bbox' (MMDetection accepts both). */
    private static String cocoMetric(ConfigNode n) {
        com.fasterxml.jackson.databind.JsonNode v = n.raw("metric");
        if (v == null || !v.isArray()) return n.choice("metric", "bbox", "bbox");
        if (v.isEmpty()) throw n.error("metric", "must name a metric: bbox");
        for (com.fasterxml.jackson.databind.JsonNode m : v)
            if (!m.isTextual() || !m.asText().equals("bbox"))
                throw n.error("metric", "only bbox is supported (the model predicts boxes), got " + ConfigNode.describe(m));
        return "bbox";
    }

    private static EvaluatorConfig voc(ConfigNode n) {
        com.fasterxml.jackson.databind.JsonNode m = n.raw("metric");
        if (m != null && m.isArray()) { // VOCMetric takes a one-element list too (it asserts the length)
            if (m.size() != 1 || !m.get(0).isTextual())
                throw n.error("metric", "VOCMetric takes one metric, 'mAP' (a list must hold exactly one), got " + ConfigNode.describe(m));
            if (!m.get(0).asText().equals("mAP"))
                throw n.error("metric", "only mAP is supported (recall is for proposals), got '" + m.get(0).asText() + "'");
            n.raw("metric");
        }
        String metric = m != null && m.isArray() ? "mAP" : n.choice("metric", "mAP", "mAP");
        java.util.List<Double> thrs = n.raw("iou_thrs") == null ? java.util.List.of(0.5) : iouThrs(n);
        boolean eleven = n.choice("eval_mode", "11points", "11points", "area").equals("11points");
        if (n.raw("scale_ranges") != null) throw n.error("scale_ranges", "only null (one scale) is supported");
        n.raw("proposal_nums"); // recall of proposals: the engine evaluates detections only
        n.choice("collect_device", "cpu", "cpu", "gpu");
        if (n.raw("prefix") != null) throw n.error("prefix", "only null (the default pascal_voc/) is supported");
        n.finish();
        return new EvaluatorConfig(null, metric, false, false, null, true, false, thrs, eleven, java.util.List.of(),
                java.util.List.of(), false, null, null);
    }

    /**
     * MMDetection's {@code LVISMetric} for boxes: {@code metric} 'bbox' (as CocoMetric's), {@code metric_items} among
     * lvis-api's result names (default the nine AP ones), reported in lvis-api's order; {@code iou_thrs} and
     * {@code proposal_nums} only serve its 'proposal' metrics, so they are accepted and change nothing here.
     */
    private static EvaluatorConfig lvis(ConfigNode n) {
        String ann = n.string("ann_file", null);
        String metric = cocoMetric(n);
        boolean classwise = n.bool("classwise", false);
        boolean formatOnly = n.bool("format_only", false);
        String prefix = n.string("outfile_prefix", null);
        if (formatOnly && prefix == null) throw n.error("outfile_prefix", "required with format_only (LVISMetric asserts it)");
        n.raw("iou_thrs");
        n.raw("proposal_nums");
        java.util.List<String> items = new java.util.ArrayList<>();
        com.fasterxml.jackson.databind.JsonNode v = n.raw("metric_items");
        if (v != null && !v.isNull()) {
            if (!v.isArray() || v.isEmpty()) throw n.error("metric_items", "must be a non-empty list of names: "
                    + String.join(", ", autoassign.eval.LvisEvalResult.NAMES));
            for (com.fasterxml.jackson.databind.JsonNode m : v)
                if (!m.isTextual() || !autoassign.eval.LvisEvalResult.NAMES.contains(m.asText()))
                    throw n.error("metric_items", "unknown item " + ConfigNode.describe(m) + ": LVIS's are "
                            + String.join(", ", autoassign.eval.LvisEvalResult.NAMES));
                else items.add(m.asText());
        }
        // MMDetection reports the items in lvis-api's result order, whatever order the list has
        java.util.List<String> chosen = items;
        items = autoassign.eval.LvisEvalResult.NAMES.stream()
                .filter(i -> v == null || v.isNull() ? autoassign.eval.LvisEvalResult.DEFAULT_ITEMS.contains(i) : chosen.contains(i)).toList();
        n.localFilesOnly();
        if (n.raw("file_client_args") != null)
            throw n.error("file_client_args", "only null is supported (MMDetection 3.x: use backend_args)");
        n.choice("collect_device", "cpu", "cpu", "gpu");
        n.choice("prefix", "lvis", "lvis"); // the metric names lvis/bbox_* are fixed here
        n.finish();
        return new EvaluatorConfig(ann, metric, classwise, formatOnly, prefix, false, true, java.util.List.of(), false,
                java.util.List.of(), items, false, null, null);
    }

    /**
     * MMDetection's {@code CrowdHumanMetric(ann_file, metric=['AP', 'MR', 'JI'], eval_mode=0, iou_thres=0.5,
     * compare_matching_method=None, mr_ref='CALTECH_-2', num_ji_process=10)}; {@code num_ji_process} only spreads JI over
     * processes. Its {@code compare_matching_method='VOC'} fails in MMDetection 3.3 (compare_voc sorts numpy arrays with a
     * key), and {@code format_only} writes its own json format: both are refused.
     */
    private static EvaluatorConfig crowdHuman(ConfigNode n) {
        String ann = n.string("ann_file");
        java.util.List<String> metrics = new java.util.ArrayList<>();
        com.fasterxml.jackson.databind.JsonNode v = n.raw("metric");
        if (v == null) metrics.addAll(java.util.List.of("AP", "MR", "JI"));
        else for (com.fasterxml.jackson.databind.JsonNode m : v.isArray() ? v : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode().add(v)) {
            if (!m.isTextual() || !java.util.List.of("AP", "MR", "JI").contains(m.asText()))
                throw n.error("metric", "must be AP, MR or JI (or a list of them), got " + ConfigNode.describe(m));
            metrics.add(m.asText());
        }
        if (n.bool("format_only", false))
            throw n.error("format_only", "is not supported for CrowdHumanMetric (its own results json); evaluate instead");
        n.string("outfile_prefix", null); // where its results json would go: not written here
        int mode = n.integer("eval_mode", 0);
        if (mode < 0 || mode > 2) throw n.error("eval_mode", "must be 0 (body), 1 (head) or 2 (both), got " + mode);
        double iou = n.number("iou_thres", 0.5);
        if (!(iou > 0 && iou <= 1)) throw n.error("iou_thres", "must be in (0, 1], got " + iou);
        com.fasterxml.jackson.databind.JsonNode cmm = n.raw("compare_matching_method");
        if (cmm != null && !cmm.isNull())
            throw n.error("compare_matching_method", "only None (Caltech matching) is supported: MMDetection 3.3's 'VOC' "
                    + "matching fails (compare_voc calls sort(key=...) on numpy arrays)");
        boolean caltech4 = n.choice("mr_ref", "CALTECH_-2", "CALTECH_-2", "CALTECH_-4").equals("CALTECH_-4");
        n.positive("num_ji_process", n.integer("num_ji_process", 10)); // processes for JI: the same number
        n.localFilesOnly();
        if (n.raw("file_client_args") != null)
            throw n.error("file_client_args", "only null is supported (MMDetection 3.x: use backend_args)");
        n.choice("collect_device", "cpu", "cpu", "gpu");
        com.fasterxml.jackson.databind.JsonNode prefix = n.raw("prefix");
        if (prefix != null && !prefix.isNull() && !"crowd_human".equals(prefix.asText()))
            throw n.error("prefix", "only crowd_human (the default) is supported");
        n.finish();
        return new EvaluatorConfig(ann, "bbox", false, false, null, false, false, java.util.List.of(), false,
                java.util.List.of(), java.util.List.of(), false,
                new CrowdHuman(java.util.List.copyOf(metrics), new autoassign.eval.CrowdHumanEval.Params(mode, iou, caltech4)), null);
    }

    /**
     * MMDetection's {@code OpenImagesMetric(iou_thrs=0.5, ioa_thrs=0.5, scale_ranges=None, use_group_of=True,
     * get_supercategory=True, filter_labels=True)}: {@code iou_thrs} / {@code ioa_thrs} a number or a list, as many.
     * MMDetection fails with {@code scale_ranges} (compute_metrics rounds a list), with {@code use_group_of=False}
     * (tpfp_openimages always returns three arrays, eval_map unpacks two) and with an {@code ioa_thr} of None under
     * use_group_of (it asserts): all three are refused here.
     */
    private static EvaluatorConfig openImages(ConfigNode n) {
        java.util.List<Double> iou = n.raw("iou_thrs") == null ? java.util.List.of(0.5) : iouThrs(n);
        java.util.List<Double> ioa;
        com.fasterxml.jackson.databind.JsonNode a = n.raw("ioa_thrs");
        if (a == null) ioa = java.util.List.of(0.5);
        else if (a.isNull()) throw n.error("ioa_thrs", "must have a value with use_group_of (MMDetection asserts it)");
        else ioa = a.isNumber() ? java.util.List.of(a.asDouble()) : n.doubleList("ioa_thrs", null);
        for (double t : ioa) if (!(t > 0 && t <= 1)) throw n.error("ioa_thrs", "must be in (0, 1], got " + t);
        if (ioa.size() != iou.size())
            throw n.error("ioa_thrs", "must be as many as iou_thrs (MMDetection asserts it): " + ioa + " and " + iou);
        com.fasterxml.jackson.databind.JsonNode sr = n.raw("scale_ranges");
        if (sr != null && !sr.isNull())
            throw n.error("scale_ranges", "only null is supported (MMDetection's OpenImagesMetric fails: it rounds the list of per-scale mAPs)");
        if (!n.bool("use_group_of", true))
            throw n.error("use_group_of", "only True is supported (MMDetection 3.3 fails with False: tpfp_openimages returns three "
                    + "arrays where eval_map unpacks two)");
        boolean superCat = n.bool("get_supercategory", true);
        boolean filter = n.bool("filter_labels", true);
        n.choice("collect_device", "cpu", "cpu", "gpu");
        com.fasterxml.jackson.databind.JsonNode prefix = n.raw("prefix");
        if (prefix != null && !prefix.isNull() && !"openimages".equals(prefix.asText()))
            throw n.error("prefix", "only openimages (the default) is supported");
        n.finish();
        return new EvaluatorConfig(null, "mAP", false, false, null, false, false, iou, false, java.util.List.of(),
                java.util.List.of(), false, null, new autoassign.eval.OpenImagesMetric.Params(iou, ioa, superCat, filter));
    }

    /** Where the detections go ({@code <outfile_prefix>.bbox.json}, relative to the working folder), or null. */
    public java.nio.file.Path resultsFile() {
        return outfilePrefix == null ? null : java.nio.file.Path.of(outfilePrefix + ".bbox.json");
    }
}
