package autoassign.data;

/** Kinds of recoverable bad input: each is warned about, counted and summarised, and the item skipped. */
public enum DataIssue {
    IMAGE_RECORD_INVALID("image records skipped (missing/invalid id, file name, width or height)"),
    IMAGE_ID_DUPLICATE("image records replaced by a later one of the same id"),
    CATEGORY_INVALID("category records skipped (missing/invalid/duplicate id)"),
    ANNOTATION_INVALID("annotations skipped (missing/invalid fields)"),
    ANNOTATION_UNKNOWN_IMAGE("annotations skipped (unknown image id)"),
    ANNOTATION_UNKNOWN_CATEGORY("annotations skipped (unknown category id)"),
    BOX_EMPTY("boxes skipped (zero or negative size, or area <= 0)"),
    BOX_OUTSIDE("boxes skipped (no overlap with the image)"),
    IMAGE_MISSING("images skipped (file missing or unreadable)"),
    IMAGE_CORRUPT("images skipped (cannot be decoded)"),
    IMAGE_TRUNCATED("images skipped (truncated file)"),
    IMAGE_SIZE_MISMATCH("images whose decoded size differs from the json record (json size used for the filter only)");

    private final String summary;

    DataIssue(String summary) { this.summary = summary; }

    /** Plural phrase used in the summary line, e.g. "boxes skipped (...)". */
    public String summary() { return summary; }
}
