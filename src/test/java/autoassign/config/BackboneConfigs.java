package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Test access to {@code model.backbone} parsing from a JSON object (a golden case's backbone keys). */
public final class BackboneConfigs {
    private BackboneConfigs() {}

    /** The ResNet-family config the mapping {@code keys} gives as {@code model.backbone}, with every check of the YAML path. */
    public static BackboneConfig fromJson(JsonNode keys) {
        return BackboneConfig.from(new ConfigNode("golden", "model.backbone", (ObjectNode) keys.deepCopy()));
    }

    /** Any backbone type ({@link BackboneSpec#from}) from the mapping {@code keys}, with every check of the YAML path. */
    public static BackboneSpec specFromJson(JsonNode keys) {
        return BackboneSpec.from(new ConfigNode("golden", "model.backbone", (ObjectNode) keys.deepCopy()));
    }
}
