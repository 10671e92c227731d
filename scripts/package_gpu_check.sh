#!/usr/bin/env bash
# package_gpu_check.sh — run HERE (with Java and Maven) to prepare what scripts/gpu_java_check.sh needs on the
# lent GPU machine (which has no Java and no internet): a jlink'd Java runtime and the jars, in .gpu/java
# (ignored by git; pass it to the device tool as carry: [".gpu/java"]). About 40 MiB.
#   .gpu/java/jrt.tar.xz      java.base + jdk.incubator.vector + jdk.unsupported + java.management + java.logging
#   .gpu/java/lib/*.jar    the engine's classes with the CUDA fatbins (built by nvcc here), JavaCPP, the CUDA
#                          presets (only the cudart/cudnn/cublas/nvrtc JNI libraries) and OpenBLAS (nolapack only)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/.gpu/java"
build="${AA_GPU_BUILD_DIR:-/tmp/build-gpu-java}"
m2="${M2_REPO:-$HOME/.m2/repository}/org/bytedeco"
jcpp=1.5.13
cd "$root"
echo "package_gpu_check.sh: compiling into $build (with the CUDA fatbins when nvcc is here)"
mvn -q -B -DbuildDir="$build" -DskipTests compile
ls "$build/classes/native/"*.fatbin >/dev/null 2>&1 || echo "package_gpu_check.sh: WARNING: no fatbin built (no nvcc?): the GPU run will use NVRTC"
rm -rf "$out" && mkdir -p "$out/lib"
(cd "$build/classes" && jar cf "$out/lib/autoassign-classes.jar" .)
cp "$m2/javacpp/$jcpp/javacpp-$jcpp.jar" "$m2/javacpp/$jcpp/javacpp-$jcpp-linux-x86_64.jar" \
   "$m2/cuda/13.1-9.19-$jcpp/cuda-13.1-9.19-$jcpp.jar" "$m2/openblas/0.3.31-$jcpp/openblas-0.3.31-$jcpp.jar" "$out/lib/"
# what the bench / training-step checks load: configs (Jackson YAML), the CLI (picocli), and OpenCV's Java classes
# (without its 31 MB of natives: random batches need no image decoding)
mvn -q -B dependency:build-classpath -Dmdep.outputFile="$build/classpath.txt" >/dev/null
tr ':' '\n' < "$build/classpath.txt" | grep -E '/(jackson-[a-z-]+|snakeyaml|picocli|progressbar|jline|protobuf-java)-[0-9][^/]*\.jar$' \
  | while read -r f; do cp "$f" "$out/lib/"; done
cp "$m2/opencv/4.13.0-$jcpp/opencv-4.13.0-$jcpp.jar" "$out/lib/"
# OpenCV natives for decoding only (core, imgproc, imgcodecs: 8 MB of its 31), so the default job, eval and detect
# run on the GPU machine; OpenCV's preset loads the openblas JNI, kept below; jfreechart draws curves.png
cp "${M2_REPO:-$HOME/.m2/repository}/org/jfree/jfreechart/1.5.6/jfreechart-1.5.6.jar" "$out/lib/"
ocv="$m2/opencv/4.13.0-$jcpp/opencv-4.13.0-$jcpp-linux-x86_64.jar"
cp "$ocv" "$out/lib/opencv-linux-x86_64-trimmed.jar"
unzip -Z1 "$ocv" | grep '^org/bytedeco/opencv/linux-x86_64/.' \
  | grep -vE '/(libopencv_(core|imgproc|imgcodecs)\.so|libjniopencv_(core|imgproc|imgcodecs)\.so)' > "$build/opencv-drop.txt"
(cd "$out/lib" && zip -q -d opencv-linux-x86_64-trimmed.jar -@ < "$build/opencv-drop.txt") || true
trim() { # trim SRC.jar DST.jar pattern...: copy of the jar without the entries matching the patterns
  local src="$1" dst="$2"; shift 2
  cp "$src" "$dst"
  zip -q -d "$dst" "$@" >/dev/null 2>&1 || true
}
trim "$m2/cuda/13.1-9.19-$jcpp/cuda-13.1-9.19-$jcpp-linux-x86_64.jar" "$out/lib/cuda-linux-x86_64-trimmed.jar" \
  'org/bytedeco/cuda/linux-x86_64/libjninpp*' 'org/bytedeco/cuda/linux-x86_64/libjnicusparse.so' \
  'org/bytedeco/cuda/linux-x86_64/libjnicusolver.so' 'org/bytedeco/cuda/linux-x86_64/libjnicufft*' \
  'org/bytedeco/cuda/linux-x86_64/libjninvml.so' 'org/bytedeco/cuda/linux-x86_64/libjninvblas.so' \
  'org/bytedeco/cuda/linux-x86_64/libjninvcomp.so' 'org/bytedeco/cuda/linux-x86_64/libjninvjpeg.so' \
  'org/bytedeco/cuda/linux-x86_64/libjnicupti.so' 'org/bytedeco/cuda/linux-x86_64/libjnicurand.so' \
  'org/bytedeco/cuda/linux-x86_64/libjnicufile.so'
trim "$m2/openblas/0.3.31-$jcpp/openblas-0.3.31-$jcpp-linux-x86_64.jar" "$out/lib/openblas-linux-x86_64-trimmed.jar" \
  'org/bytedeco/openblas/linux-x86_64/libjniopenblas_full.so' \
  'org/bytedeco/openblas/linux-x86_64/include/*' 'org/bytedeco/openblas/linux-x86_64/lib/*'
rm -rf "$build/jrt" "$out/jrt.tgz"
# an uncompressed image compressed by xz travels at about half the size of jlink's own zip compression
# Temurin's runtime carries its own font libraries (harfbuzz, freetype), which text drawing (detect, curves.png)
# needs on a bare GPU machine; Debian's OpenJDK links the system's
jl=jlink; [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/jlink ] && jl=/usr/lib/jvm/temurin-25-jdk-amd64/bin/jlink
"$jl" --add-modules java.base,java.desktop,java.management,java.logging,jdk.unsupported,jdk.incubator.vector \
  --strip-debug --no-man-pages --no-header-files --output "$build/jrt" 2>&1 | grep -v "incubator modules" || true
tar -cf - -C "$build" jrt | xz -9 -T2 > "$out/jrt.tar.xz"
bash scripts/source_stamp.sh > "$out/SOURCE_STAMP" # gpu_session.sh refuses a package older than the tree
du -ch "$out"/jrt.tar.xz "$out"/lib/*.jar | tail -1 | sed 's/^/package_gpu_check.sh: .gpu\/java is /'
