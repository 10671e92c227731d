package autoassign.backend.cuda;

import autoassign.backend.ConvParams;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * cuDNN convolutions (NCHW float32, cross-correlation, channel groups): forward, backward-data, backward-filter.
 * A grouped conv (ResNeXt's 3×3) is one cuDNN call: filter [K, C/groups, kH, kW] and the descriptor's group count.
 * Descriptors and the algorithm of each direction are found once per shape (heuristics cudnnGet*_v7, or
 * cudnnFind* with -Dautoassign.cudnn.find=true) and cached; the workspace is the device's shared one.
 * TF32: with {@link CudaOptions#tf32()} the algorithms' own math type (tensor cores) is used, without it
 * CUDNN_FMA_MATH keeps every product in float32.
 */
final class CudnnConv {
    private static final int MAX_PLANS = 2048;

    /**
     * A plan's shape and everything that decides its algorithms (TF32, determinism, heuristics or cudnnFind); the
     * groups are part of {@code p}, so a grouped conv never shares a plan (algorithm, workspace) with a dense one.
     */
    private record Key(int n, int c, int h, int w, int k, int kh, int kw, ConvParams p, boolean tf32, boolean deterministic,
                       boolean find) {}

    /** Descriptors of one shape and the chosen algorithm per direction (-1: not chosen yet). */
    private static final class Plan {
        final cudnnTensorStruct x = new cudnnTensorStruct(), y = new cudnnTensorStruct();
        final cudnnFilterStruct w = new cudnnFilterStruct();
        final cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
        final boolean tf32;
        int fwdAlgo = -1, bwdDataAlgo = -1, bwdFilterAlgo = -1;
        int fwdMath, bwdDataMath, bwdFilterMath;
        long fwdWs, bwdDataWs, bwdFilterWs;

        Plan(Key key, int oh, int ow) {
            tf32 = key.tf32;
            Cuda.checkCudnn(cudnn.cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
            try {
                Cuda.checkCudnn(cudnn.cudnnCreateTensorDescriptor(y), "cudnnCreateTensorDescriptor");
                Cuda.checkCudnn(cudnn.cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
                Cuda.checkCudnn(cudnn.cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
                describe(key, oh, ow);
            } catch (RuntimeException e) { // a shape cuDNN refuses: no descriptor is left behind
                destroy();
                throw e;
            }
        }

        private void describe(Key key, int oh, int ow) {
            Cuda.checkCudnn(cudnn.cudnnSetTensor4dDescriptor(x, cudnn.CUDNN_TENSOR_NCHW, cudnn.CUDNN_DATA_FLOAT,
                    key.n, key.c, key.h, key.w), "cudnnSetTensor4dDescriptor(x)");
            Cuda.checkCudnn(cudnn.cudnnSetTensor4dDescriptor(y, cudnn.CUDNN_TENSOR_NCHW, cudnn.CUDNN_DATA_FLOAT,
                    key.n, key.k, oh, ow), "cudnnSetTensor4dDescriptor(y)");
            ConvParams p = key.p;
            Cuda.checkCudnn(cudnn.cudnnSetFilter4dDescriptor(w, cudnn.CUDNN_DATA_FLOAT, cudnn.CUDNN_TENSOR_NCHW,
                    key.k, key.c / p.groups(), key.kh, key.kw), "cudnnSetFilter4dDescriptor");
            Cuda.checkCudnn(cudnn.cudnnSetConvolution2dDescriptor(conv, p.padH(), p.padW(), p.strideH(), p.strideW(),
                    p.dilationH(), p.dilationW(), cudnn.CUDNN_CROSS_CORRELATION, cudnn.CUDNN_DATA_FLOAT),
                    "cudnnSetConvolution2dDescriptor");
            // before any algorithm or workspace query, which depend on it; a new descriptor's count is already 1
            if (p.grouped())
                Cuda.checkCudnn(cudnn.cudnnSetConvolutionGroupCount(conv, p.groups()), "cudnnSetConvolutionGroupCount");
            setMath(tf32 ? cudnn.CUDNN_DEFAULT_MATH : cudnn.CUDNN_FMA_MATH);
        }

        void setMath(int math) {
            Cuda.checkCudnn(cudnn.cudnnSetConvolutionMathType(conv, math), "cudnnSetConvolutionMathType");
        }

        void destroy() {
            cudnn.cudnnDestroyTensorDescriptor(x);
            cudnn.cudnnDestroyTensorDescriptor(y);
            cudnn.cudnnDestroyFilterDescriptor(w);
            cudnn.cudnnDestroyConvolutionDescriptor(conv);
        }
    }

    private final CudaContext ctx;
    private final cudnnContext handle = new cudnnContext();
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);
    private final Map<Key, Plan> plans = new LinkedHashMap<>(64, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<Key, Plan> e) {
            if (size() <= MAX_PLANS) return false;
            e.getValue().destroy();
            return true;
        }
    };

    CudnnConv(CudaContext ctx) {
        this.ctx = ctx;
        Cuda.checkCudnn(cudnn.cudnnCreate(handle), "cudnnCreate");
        Cuda.checkCudnn(cudnn.cudnnSetStream(handle, ctx.stream), "cudnnSetStream");
    }

    private Plan plan(int[] xs, int[] ws, ConvParams p, boolean tf32) {
        Key key = new Key(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], p, tf32, CudaOptions.deterministic(),
                CudaOptions.cudnnFind());
        Plan plan = plans.get(key);
        if (plan == null) {
            plan = new Plan(key, p.outH(xs[2], ws[2]), p.outW(xs[3], ws[3]));
            plans.put(key, plan);
        }
        return plan;
    }

    private static String shapes(int[] xs, int[] ws, ConvParams p) {
        return "x" + Arrays.toString(xs) + " w" + Arrays.toString(ws) + " " + p;
    }

    /** y = conv(x, w), all device addresses; shapes already validated. */
    synchronized void forward(long x, int[] xs, long w, int[] ws, long y, ConvParams p, boolean tf32) {
        Plan pl = plan(xs, ws, p, tf32);
        if (pl.fwdAlgo < 0) chooseForward(pl, xs, ws, p);
        pl.setMath(pl.fwdMath);
        long wsAddr = ctx.workspace(pl.fwdWs);
        int st = cudnn.cudnnConvolutionForward(handle, one, pl.x, new DevPtr(x), pl.w, new DevPtr(w), pl.conv,
                pl.fwdAlgo, new DevPtr(wsAddr), pl.fwdWs, zero, pl.y, new DevPtr(y));
        if (st != 0) Cuda.checkCudnn(st, "cudnnConvolutionForward(" + shapes(xs, ws, p) + ", algo " + pl.fwdAlgo + ")"); // message built only on failure
    }

    /** dx = conv-transpose(dy, w). */
    synchronized void backwardData(long dy, long w, int[] ws, long dx, int[] xs, ConvParams p, boolean tf32) {
        Plan pl = plan(xs, ws, p, tf32);
        if (pl.bwdDataAlgo < 0) chooseBackwardData(pl, xs, ws, p);
        pl.setMath(pl.bwdDataMath);
        long wsAddr = ctx.workspace(pl.bwdDataWs);
        int st = cudnn.cudnnConvolutionBackwardData(handle, one, pl.w, new DevPtr(w), pl.y, new DevPtr(dy), pl.conv,
                pl.bwdDataAlgo, new DevPtr(wsAddr), pl.bwdDataWs, zero, pl.x, new DevPtr(dx));
        if (st != 0) Cuda.checkCudnn(st, "cudnnConvolutionBackwardData(" + shapes(xs, ws, p) + ", algo " + pl.bwdDataAlgo + ")"); // message built only on failure
    }

    /** dw = Σ dy ⋆ x. */
    synchronized void backwardFilter(long dy, long x, int[] xs, long dw, int[] ws, ConvParams p, boolean tf32) {
        Plan pl = plan(xs, ws, p, tf32);
        if (pl.bwdFilterAlgo < 0) chooseBackwardFilter(pl, xs, ws, p);
        pl.setMath(pl.bwdFilterMath);
        long wsAddr = ctx.workspace(pl.bwdFilterWs);
        int st = cudnn.cudnnConvolutionBackwardFilter(handle, one, pl.x, new DevPtr(x), pl.y, new DevPtr(dy), pl.conv,
                pl.bwdFilterAlgo, new DevPtr(wsAddr), pl.bwdFilterWs, zero, pl.w, new DevPtr(dw));
        if (st != 0) Cuda.checkCudnn(st, "cudnnConvolutionBackwardFilter(" + shapes(xs, ws, p) + ", algo " + pl.bwdFilterAlgo + ")"); // message built only on failure
    }

    // ------------------------------------------------------------------ algorithm choice

    private int mathOf(Plan pl, int algoMath) { return pl.tf32 ? algoMath : cudnn.CUDNN_FMA_MATH; }

    private void chooseForward(Plan pl, int[] xs, int[] ws, ConvParams p) {
        int count = cudnn.CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
        int[] got = new int[1];
        try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(count)) {
            pl.setMath(pl.tf32 ? cudnn.CUDNN_DEFAULT_MATH : cudnn.CUDNN_FMA_MATH);
            int st = CudaOptions.cudnnFind()
                    ? cudnn.cudnnFindConvolutionForwardAlgorithm(handle, pl.x, pl.w, pl.conv, pl.y, count, got, perf)
                    : cudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, pl.x, pl.w, pl.conv, pl.y, count, got, perf);
            Cuda.checkCudnn(st, "choosing the forward algorithm for " + shapes(xs, ws, p));
            long limit = CudaOptions.workspaceLimitBytes();
            for (int i = 0; i < got[0]; i++) {
                cudnnConvolutionFwdAlgoPerf_t r = perf.getPointer(i);
                if (r.status() != cudnn.CUDNN_STATUS_SUCCESS || r.memory() > limit) continue;
                if (CudaOptions.deterministic() && r.determinism() != cudnn.CUDNN_DETERMINISTIC) continue;
                pl.fwdMath = mathOf(pl, r.mathType());
                pl.setMath(pl.fwdMath);
                try (SizeTPointer sz = new SizeTPointer(1)) {
                    if (cudnn.cudnnGetConvolutionForwardWorkspaceSize(handle, pl.x, pl.w, pl.conv, pl.y, r.algo(), sz) != 0) continue;
                    pl.fwdWs = sz.get();
                }
                pl.fwdAlgo = r.algo();
                return;
            }
        }
        throw new CudaException("cuDNN has no forward algorithm for " + shapes(xs, ws, p));
    }

    private void chooseBackwardData(Plan pl, int[] xs, int[] ws, ConvParams p) {
        int count = cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
        int[] got = new int[1];
        try (cudnnConvolutionBwdDataAlgoPerf_t perf = new cudnnConvolutionBwdDataAlgoPerf_t(count)) {
            pl.setMath(pl.tf32 ? cudnn.CUDNN_DEFAULT_MATH : cudnn.CUDNN_FMA_MATH);
            int st = CudaOptions.cudnnFind()
                    ? cudnn.cudnnFindConvolutionBackwardDataAlgorithm(handle, pl.w, pl.y, pl.conv, pl.x, count, got, perf)
                    : cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, pl.w, pl.y, pl.conv, pl.x, count, got, perf);
            Cuda.checkCudnn(st, "choosing the backward-data algorithm for " + shapes(xs, ws, p));
            long limit = CudaOptions.workspaceLimitBytes();
            for (int i = 0; i < got[0]; i++) {
                cudnnConvolutionBwdDataAlgoPerf_t r = perf.getPointer(i);
                if (r.status() != cudnn.CUDNN_STATUS_SUCCESS || r.memory() > limit) continue;
                if (CudaOptions.deterministic() && r.determinism() != cudnn.CUDNN_DETERMINISTIC) continue;
                pl.bwdDataMath = mathOf(pl, r.mathType());
                pl.setMath(pl.bwdDataMath);
                try (SizeTPointer sz = new SizeTPointer(1)) {
                    if (cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(handle, pl.w, pl.y, pl.conv, pl.x, r.algo(), sz) != 0) continue;
                    pl.bwdDataWs = sz.get();
                }
                pl.bwdDataAlgo = r.algo();
                return;
            }
        }
        throw new CudaException("cuDNN has no backward-data algorithm for " + shapes(xs, ws, p));
    }

    private void chooseBackwardFilter(Plan pl, int[] xs, int[] ws, ConvParams p) {
        int count = cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
        int[] got = new int[1];
        try (cudnnConvolutionBwdFilterAlgoPerf_t perf = new cudnnConvolutionBwdFilterAlgoPerf_t(count)) {
            pl.setMath(pl.tf32 ? cudnn.CUDNN_DEFAULT_MATH : cudnn.CUDNN_FMA_MATH);
            int st = CudaOptions.cudnnFind()
                    ? cudnn.cudnnFindConvolutionBackwardFilterAlgorithm(handle, pl.x, pl.y, pl.conv, pl.w, count, got, perf)
                    : cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, pl.x, pl.y, pl.conv, pl.w, count, got, perf);
            Cuda.checkCudnn(st, "choosing the backward-filter algorithm for " + shapes(xs, ws, p));
            long limit = CudaOptions.workspaceLimitBytes();
            for (int i = 0; i < got[0]; i++) {
                cudnnConvolutionBwdFilterAlgoPerf_t r = perf.getPointer(i);
                if (r.status() != cudnn.CUDNN_STATUS_SUCCESS || r.memory() > limit) continue;
                if (CudaOptions.deterministic() && r.determinism() != cudnn.CUDNN_DETERMINISTIC) continue;
                pl.bwdFilterMath = mathOf(pl, r.mathType());
                pl.setMath(pl.bwdFilterMath);
                try (SizeTPointer sz = new SizeTPointer(1)) {
                    if (cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, pl.x, pl.y, pl.conv, pl.w, r.algo(), sz) != 0) continue;
                    pl.bwdFilterWs = sz.get();
                }
                pl.bwdFilterAlgo = r.algo();
                return;
            }
        }
        throw new CudaException("cuDNN has no backward-filter algorithm for " + shapes(xs, ws, p));
    }

    synchronized int cachedPlans() { return plans.size(); }
}
