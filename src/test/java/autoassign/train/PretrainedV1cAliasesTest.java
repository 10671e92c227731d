package autoassign.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The deep-stem ResNetV1c checkpoints under MMCV's open_mmlab.json names (mmcv/model_zoo/open_mmlab.json). */
class PretrainedV1cAliasesTest {
    @Test
    void v1cAliasesAreMmcvsUrls() {
        assertEquals("https://download.openmmlab.com/pretrain/third_party/resnet18_v1c-b5776b93.pth",
                PretrainedWeights.url("open-mmlab://resnet18_v1c"));
        assertEquals("https://download.openmmlab.com/pretrain/third_party/resnet50_v1c-2cccc1ad.pth",
                PretrainedWeights.url("open-mmlab://resnet50_v1c"));
        assertEquals("https://download.openmmlab.com/pretrain/third_party/resnet101_v1c-e67eebb6.pth",
                PretrainedWeights.url("open-mmlab://resnet101_v1c"));
        // MMCV publishes no plain ResNetV1d alias (res2net101_v1d is a Res2Net): the name stays as given
        assertEquals("open-mmlab://resnet50_v1d", PretrainedWeights.url("open-mmlab://resnet50_v1d"));
    }
}
