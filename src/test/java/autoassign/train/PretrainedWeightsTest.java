package autoassign.train;

import autoassign.cli.CliErrors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainedWeightsTest {
    @Test
    void missingBackboneSaysWhereToPutItAndWhereItIsPublished() {
        CliErrors.UserError e = assertThrows(CliErrors.UserError.class,
                () -> PretrainedWeights.locate("open-mmlab://detectron2/resnet50_caffe_does_not_exist"));
        assertTrue(e.getMessage().contains("--no-pretrained"), e.getMessage());
        CliErrors.UserError msra = assertThrows(CliErrors.UserError.class, () -> {
            if (java.nio.file.Files.exists(PretrainedWeights.hubCache().resolve("resnet50_msra-5891d200.pth")))
                throw new CliErrors.UserError("present");
            PretrainedWeights.locate("open-mmlab://detectron2/resnet50_caffe");
        });
        if (!msra.getMessage().equals("present")) {
            assertTrue(msra.getMessage().contains("resnet50_msra-5891d200.pth"), msra.getMessage());
            assertTrue(msra.getMessage().contains("https://download.openmmlab.com/pretrain/third_party/resnet50_msra-5891d200.pth"));
            assertTrue(msra.getMessage().contains(".cache/torch/hub/checkpoints"), msra.getMessage());
        }
    }

    @Test
    void localPathIsUsedAsItIs(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path f = java.nio.file.Files.writeString(tmp.resolve("r.pth"), "x");
        assertTrue(PretrainedWeights.locate(f.toString()).equals(f));
    }

    @Test
    void torchvisionAliasesAreTheImagenetWeightsMmengineUses() {
        org.junit.jupiter.api.Assertions.assertEquals("https://download.pytorch.org/models/resnet50-0676ba61.pth",
                PretrainedWeights.url("torchvision://resnet50"));
        org.junit.jupiter.api.Assertions.assertEquals("https://download.pytorch.org/models/resnet18-f37072fd.pth",
                PretrainedWeights.url("torchvision://resnet18"));
        org.junit.jupiter.api.Assertions.assertEquals("https://example.org/x.pth", PretrainedWeights.url("https://example.org/x.pth"));
    }

    @Test
    void resNeXtAndResNet152AliasesAreMmenginesUrls() {
        // open-mmlab:// from MMEngine's hub/openmmlab.json, torchvision:// from hub/torchvision_0.12.json
        org.junit.jupiter.api.Assertions.assertEquals(
                "https://download.openmmlab.com/pretrain/third_party/resnext101_64x4d-ee2c6f71.pth",
                PretrainedWeights.url("open-mmlab://resnext101_64x4d"));
        org.junit.jupiter.api.Assertions.assertEquals(
                "https://download.openmmlab.com/pretrain/third_party/resnext101_32x4d-a5af3160.pth",
                PretrainedWeights.url("open-mmlab://resnext101_32x4d"));
        org.junit.jupiter.api.Assertions.assertEquals(
                "https://download.openmmlab.com/pretrain/third_party/resnext50-32x4d-0ab1a123.pth",
                PretrainedWeights.url("open-mmlab://resnext50_32x4d"));
        org.junit.jupiter.api.Assertions.assertEquals(
                "https://download.openmmlab.com/pretrain/third_party/resnext101_32x8d-1516f1aa.pth",
                PretrainedWeights.url("open-mmlab://detectron2/resnext101_32x8d"));
        org.junit.jupiter.api.Assertions.assertEquals("https://download.pytorch.org/models/resnet152-394f9c45.pth",
                PretrainedWeights.url("torchvision://resnet152"));
        org.junit.jupiter.api.Assertions.assertEquals("https://download.pytorch.org/models/resnext50_32x4d-7cdf4587.pth",
                PretrainedWeights.url("torchvision://resnext50_32x4d"));
        org.junit.jupiter.api.Assertions.assertEquals("https://download.pytorch.org/models/resnext101_32x8d-8ba56ff5.pth",
                PretrainedWeights.url("torchvision://resnext101_32x8d"));
        // the file name of the URL is what the torch hub cache holds
        CliErrors.UserError e = assertThrows(CliErrors.UserError.class, () -> {
            if (java.nio.file.Files.exists(PretrainedWeights.hubCache().resolve("resnext101_64x4d-ee2c6f71.pth")))
                throw new CliErrors.UserError("present");
            PretrainedWeights.locate("open-mmlab://resnext101_64x4d");
        });
        if (!e.getMessage().equals("present"))
            assertTrue(e.getMessage().startsWith("resnext101_64x4d-ee2c6f71.pth not found"), e.getMessage());
    }

    @Test
    void regNetAliasesAreMmcvsOpenMmlabUrls() {
        // mmcv/model_zoo/open_mmlab.json (MMEngine's hub/openmmlab.json): the open-mmlab://regnetx_* of configs/regnet
        String[][] want = {
                {"regnetx_400mf", "regnetx_400mf-a5b10d96.pth"}, {"regnetx_800mf", "regnetx_800mf-1f4be4c7.pth"},
                {"regnetx_1.6gf", "regnetx_1.6gf-5791c176.pth"}, {"regnetx_3.2gf", "regnetx_3.2gf-c2599b0f.pth"},
                {"regnetx_4.0gf", "regnetx_4.0gf-a88f671e.pth"}, {"regnetx_6.4gf", "regnetx_6.4gf-006af45d.pth"},
                {"regnetx_8.0gf", "regnetx_8.0gf-3c68abe7.pth"}, {"regnetx_12gf", "regnetx_12gf-4c2a3350.pth"}};
        for (String[] w : want)
            org.junit.jupiter.api.Assertions.assertEquals("https://download.openmmlab.com/pretrain/third_party/" + w[1],
                    PretrainedWeights.url("open-mmlab://" + w[0]), w[0]);
        // every arch of RegNet.arch_settings has its alias
        for (String arch : autoassign.config.RegNetArch.ARCH_SETTINGS.keySet())
            assertTrue(PretrainedWeights.url("open-mmlab://" + arch).startsWith("https://download.openmmlab.com/"), arch);
        CliErrors.UserError e = assertThrows(CliErrors.UserError.class, () -> {
            if (java.nio.file.Files.exists(PretrainedWeights.hubCache().resolve("regnetx_3.2gf-c2599b0f.pth")))
                throw new CliErrors.UserError("regnetx_3.2gf-c2599b0f.pth present");
            PretrainedWeights.locate("open-mmlab://regnetx_3.2gf");
        });
        assertTrue(e.getMessage().contains("regnetx_3.2gf-c2599b0f.pth"), e.getMessage());
    }
}
