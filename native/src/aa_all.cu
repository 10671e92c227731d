// aa_all.cu — unity translation unit: every kernel + wrapper. Built into aa_kernels.fatbin (kernels only,
// extern "C" names) and into libaa_kernels.so / gpu_check (kernels + launch wrappers).
#include "aa_elementwise.cu"
#include "aa_groupnorm.cu"
#include "aa_pool.cu"
#include "aa_loss.cu"
#include "aa_postprocess.cu"
#include "aa_sgd.cu"
