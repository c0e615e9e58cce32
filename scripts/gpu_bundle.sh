#!/usr/bin/env bash
# Prepares, on this machine, what a GPU machine (the `device` tool's H200,
# which has nvcc, PyTorch and the CUDA libraries but not our Debian libraries)
# needs to check the CUDA backend: builds tplr with TPLR_CUDA=ON (portable,
# no -march=native) into build-gpu/, then packs the tplr binary, the CUDA
# plugin libtplr_cuda.so (beside tplr), the CUDA test binary, every shared library they need that is not part of the base
# system or of CUDA (OpenBLAS, gfortran, sodium, jansson, sqlite, curl and its
# dependencies, cmocka, ...), and synthetic training rows into
# .gpu/bundle.tar.xz (ignored by git; carried with carry [".gpu"]).
# Then, through the device tool: command "bash scripts/gpu_check.sh",
# carry [".gpu"], timeout_s 540.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${GPU_BUILD:-build-gpu}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTPLR_CUDA=ON -DTPLR_NATIVE=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target tplr tplr_cuda test_cuda_kernels

stage=$(mktemp -d "${TMPDIR:-/tmp}/tplr-gpu-bundle-XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/gpu/bin" "$stage/gpu/lib" "$stage/gpu/data"
# the CUDA plugin beside tplr, where `tplr train --device cuda` opens it
cp "$build/tplr" "$build/libtplr_cuda.so" "$build/tests/test_cuda_kernels" "$stage/gpu/bin/"
strip "$stage/gpu/bin/tplr" "$stage/gpu/bin/test_cuda_kernels"
strip --strip-unneeded "$stage/gpu/bin/libtplr_cuda.so"
# Libraries: everything ldd resolves, except the C library's own, the GPU
# driver's and CUDA's (the GPU machine has those, in its versions).
skip='^(libc|libm|libdl|libpthread|librt|libresolv|ld-linux-x86-64|libcuda|libcublas|libcublasLt|libcudart|libstdc\+\+|libgcc_s)\.so'
for bin in "$stage/gpu/bin/"*; do
  ldd "$bin" | awk '/=> \//{print $3}'
done | sort -u | while read -r lib; do
  base=$(basename "$lib")
  if [[ ! $base =~ $skip ]]; then
    cp -L "$lib" "$stage/gpu/lib/$base"
  fi
done
strip --strip-unneeded "$stage/gpu/lib/"* 2>/dev/null || true
/usr/bin/python3 bench/gpu/make_rows.py "$stage/gpu/data/rows150m.npy" --rows 800 --seq 1024 --vocab 32000
git rev-parse HEAD >"$stage/gpu/COMMIT"
mkdir -p .gpu
tar -C "$stage" -cJf .gpu/bundle.tar.xz gpu
unpacked=$(du -sb "$stage/gpu" | cut -f1)
packed=$(stat -c %s .gpu/bundle.tar.xz)
echo "gpu_bundle: .gpu/bundle.tar.xz $(awk "BEGIN{printf \"%.1f\", $packed/1048576}") MiB" \
     "($(awk "BEGIN{printf \"%.1f\", $unpacked/1048576}") MiB unpacked; $(ls "$stage/gpu/lib" | wc -l) libraries)"
if [ "$packed" -ge $((60 * 1048576)) ]; then
  echo "gpu_bundle: the bundle is over 60 MiB: the device tool carries 64 MiB with the tree" >&2
  exit 1
fi
