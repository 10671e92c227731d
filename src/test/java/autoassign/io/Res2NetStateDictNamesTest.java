package autoassign.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Pretrained Res2Net files ({@code open-mmlab://res2net101_v1d_26w_4s}) in MMDetection's names: every state-dict key
 * of upstream's Res2Net-101 (the golden arch_r2_101_26w4s, torch's names of the transcription) maps onto
 * {@code backbone.*}, with or without the prefix; the slices' deformable offset convs too; look-alikes do not.
 */
class Res2NetStateDictNamesTest {
    @Test
    void everyRes2Net101KeyMapsOntoTheBackbone() throws IOException {
        JsonNode c = new ObjectMapper().readTree(autoassign.GoldenFiles.folder("res2net").resolve("arch_r2_101_26w4s.json").toFile());
        List<String> unmapped = new ArrayList<>();
        for (JsonNode t : c.get("state_dict")) {
            String k = t.get("name").asText();
            if (!("backbone." + k).equals(StateDicts.resnetName(k))) unmapped.add(k);
            if (!("backbone." + k).equals(StateDicts.resnetName("backbone." + k))) unmapped.add("backbone." + k);
        }
        assertEquals(List.of(), unmapped);
        assertEquals(1032, c.get("state_dict").size());
    }

    @Test
    void slicesOfDeformableBlocksAndLookAlikes() {
        assertEquals("backbone.layer2.3.convs.1.conv_offset.weight", StateDicts.resnetName("layer2.3.convs.1.conv_offset.weight"));
        assertEquals("backbone.layer4.0.convs.2.conv_offset.bias", StateDicts.resnetName("layer4.0.convs.2.conv_offset.bias"));
        assertEquals("backbone.layer3.12.bns.0.num_batches_tracked", StateDicts.resnetName("layer3.12.bns.0.num_batches_tracked"));
        assertNull(StateDicts.resnetName("layer1.0.convs.0.bias"), "the slices' convs have no bias");
        assertNull(StateDicts.resnetName("layer1.0.convs.weight"));
        assertNull(StateDicts.resnetName("layer5.0.bns.0.weight"));
        assertNull(StateDicts.resnetName("fc.weight"));
    }
}
