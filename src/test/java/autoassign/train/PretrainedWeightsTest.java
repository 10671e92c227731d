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
}
