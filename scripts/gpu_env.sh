# gpu_env.sh — sourced by the GPU scripts on the lent machine (no Java, no internet): unpacks the carried Java
# runtime from .gpu/java (scripts/package_gpu_check.sh), finds cuDNN/cuBLAS/NCCL/NVRTC/cudart in the Python venv's
# nvidia/*/lib and the CUDA toolkit, and sets: java (the runtime), jopts (JVM options), cp (class path), libpath.
pkg="${AA_GPU_JAVA:-$root/.gpu/java}"
work="${AA_GPU_WORK:-/tmp/aa-gpu-java}"
if [ ! -f "$pkg/jrt.tar.xz" ]; then echo "gpu_env.sh: $pkg/jrt.tar.xz missing: run scripts/package_gpu_check.sh first and carry .gpu/java"; exit 2; fi
mkdir -p "$work"
tar -xJf "$pkg/jrt.tar.xz" -C "$work" 2>/dev/null \
  || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$pkg/jrt.tar.xz" "$work" \
  || { echo "gpu_env.sh: cannot unpack the runtime"; exit 2; }
chmod +x "$work"/jrt/bin/* 2>/dev/null
java="$work/jrt/bin/java"
"$java" -version 2>&1 | head -1
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"

dirs=()
if command -v python3 >/dev/null; then
  while IFS= read -r d; do [ -n "$d" ] && dirs+=("$d"); done < <(python3 - <<'PY' 2>/dev/null
import glob, os
try:
    import nvidia
    for p in list(nvidia.__path__):
        for d in sorted(glob.glob(os.path.join(p, '*', 'lib'))):
            print(d)
except Exception:
    pass
PY
)
fi
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu; do
  [ -d "$d" ] && dirs+=("$d")
done
libpath="$(IFS=:; echo "${dirs[*]}")"
export LD_LIBRARY_PATH="$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "library folders: $libpath"
for so in libcuda.so.1 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9 libcudnn_cnn.so.9 libnvrtc.so.13 libnccl.so.2; do
  f=""
  for d in "${dirs[@]}"; do [ -e "$d/$so" ] && { f="$d/$so"; break; }; done
  echo "  $so: ${f:-NOT FOUND}"
done

jopts=(--add-modules jdk.incubator.vector -Xmx24g -XX:+UseParallelGC
  "-Dorg.bytedeco.javacpp.platform.preloadpath=$libpath" "-Dorg.bytedeco.javacpp.cachedir=$work/javacpp-cache")
cp="$pkg/lib/*"
