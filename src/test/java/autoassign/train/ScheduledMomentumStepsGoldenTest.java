package autoassign.train;

import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static autoassign.GoldenFiles.floats;

/**
 * Every case of {@code <goldens>/scheduled_momentum_steps}: torch.optim.SGD (with and without dampening), Adam and AdamW
 * whose momentum ({@code betas[0]}) changes before every step, as MMEngine's momentum schedulers write the param group
 * (scripts/goldens/lr_schedules.py): the engine's optimizers, given each momentum through
 * {@link Optimizer#setMomentum}, must reach torch's parameters after every step (Adam's bias correction uses the
 * current beta1, as torch reads the group's betas each step).
 */
class ScheduledMomentumStepsGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double RTOL = 4e-6; // float32 kernels against torch's, relative to the largest parameter

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("scheduled_momentum_steps");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stepsMatchTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        float[] init = floats(c.get("init"));
        Tensor p = Tensor.of(init, init.length);
        List<Optimizer.Group> groups = List.of(new Optimizer.Group("p", p, (float) c.get("weight_decay").asDouble()));
        String kind = c.get("optimizer").asText();
        JsonNode moms = c.get("momentum");
        Optimizer o = kind.equals("SGD")
                ? new Sgd(groups, (float) moms.get(0).asDouble(), (float) c.get("dampening").asDouble(), false, 0)
                : new Adam(groups, moms.get(0).asDouble(), c.get("beta2").asDouble(), c.get("eps").asDouble(), kind.equals("AdamW"), 0);
        for (int s = 0; s < moms.size(); s++) {
            o.setMomentum(moms.get(s).asDouble());
            assertEquals(moms.get(s).asDouble(), o.momentum(), 0, name);
            p.setGrad(Tensor.of(floats(c.get("grads").get(s)), init.length));
            o.step((float) c.get("lr").asDouble());
            o.zeroGrad();
            JsonNode want = c.get("params").get(s);
            double scale = 0;
            for (JsonNode w : want) scale = Math.max(scale, Math.abs(w.asDouble()));
            float[] got = p.toFloatArray();
            for (int i = 0; i < got.length; i++)
                assertEquals(want.get(i).asDouble(), got[i], RTOL * scale, name + ": step " + s + ", element " + i);
        }
    }
}
