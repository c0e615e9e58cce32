#!/usr/bin/env bash
# The CUDA backend's checks on a GPU machine, in one call of the device tool
# (after scripts/gpu_bundle.sh here):
#   run(command="bash scripts/gpu_check.sh", carry=[".gpu"], timeout_s=540)
# Unpacks .gpu/bundle.tar.xz (tplr and its CUDA plugin libtplr_cuda.so), then:
# nvidia-smi; test_cuda_kernels (every
# kernel against the CPU kernel, the tiny model against the CPU engine,
# determinism, and the committed PyTorch golden files); the same golden files
# made again by tests/reference/llama_ref.py with PyTorch on the GPU;
# compute-sanitizer memcheck on a short `tplr train --device cuda`; then
# bench/gpu/run.sh (tplr vs PyTorch eager and torch.compile on the 150M
# preset, 100-step loss curves compared). Everything goes to $OUT (default
# gpu-out/): check.log, bench.jsonl and the curves. About 5 minutes on an H200.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-$root/gpu-out}
mkdir -p "$out"
exec > >(tee "$out/check.log") 2>&1
work=$(mktemp -d "${TMPDIR:-/tmp}/tplr-gpu-check-XXXXXX")
tar -C "$work" -xJf .gpu/bundle.tar.xz || { echo "gpu_check: no .gpu/bundle.tar.xz (run scripts/gpu_bundle.sh and carry .gpu)"; exit 1; }
g=$work/gpu
py=python3
export PATH="$PATH:/usr/local/cuda/bin"
# cuBLASLt 13: the CUDA toolkit's, else PyTorch's wheel.
cublas=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib \
         "$($py -c 'import nvidia.cublas, os; print(os.path.join(os.path.dirname(nvidia.cublas.__file__), "lib"))' 2>/dev/null)"; do
  if [ -n "$d" ] && [ -e "$d/libcublasLt.so.13" ]; then cublas=$d; break; fi
done
export LD_LIBRARY_PATH="$g/lib${cublas:+:$cublas}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
status=0
step() { echo; echo "=== $* ($(date -u +%T))"; }
step "bundle $(cat "$g/COMMIT"), tree $(git rev-parse HEAD 2>/dev/null || echo '?'); cuBLASLt from ${cublas:-nowhere}"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
if ldd "$g/bin/tplr" "$g/bin/libtplr_cuda.so" | grep "not found"; then echo "gpu_check: missing libraries (above)"; exit 1; fi
# tplr links no CUDA library: the backend is the plugin beside it (docs/engine.md)
if ldd "$g/bin/tplr" | grep -Ei "cuda|cublas"; then echo "gpu_check: tplr links a CUDA library (above)"; status=1; fi

step "test_cuda_kernels against the CPU engine and the committed PyTorch golden files"
TPLR_GOLDEN_DIR="$root/tests/reference/golden" timeout 180 "$g/bin/test_cuda_kernels" || status=1

step "the golden files again, made by PyTorch on the GPU (fp32, no TF32)"
mkdir -p "$work/golden"
"$g/bin/tplr" model init --preset tiny --seed 1 --out "$work/tiny" >/dev/null
"$g/bin/tplr" model init --preset tiny --set layers=2 --set tie_embeddings=true --set vocab=512 --seed 2 \
  --out "$work/tied" >/dev/null
$py tests/reference/llama_ref.py "$work/tiny" "$work/golden/tiny.safetensors" --device cuda &&
  $py tests/reference/llama_ref.py "$work/tied" "$work/golden/tied.safetensors" --device cuda &&
  TPLR_GOLDEN_DIR="$work/golden" timeout 180 "$g/bin/test_cuda_kernels" >"$out/test_vs_torch_cuda.txt" 2>&1 ||
  status=1
grep -E "torch|FAIL|PASS" "$out/test_vs_torch_cuda.txt"

step "compute-sanitizer memcheck: 3 steps of the tiny model"
$py bench/gpu/make_rows.py "$work/tiny_rows.npy" --rows 16 --seq 64 --vocab 1024
if command -v compute-sanitizer >/dev/null; then
  timeout 150 compute-sanitizer --tool memcheck --leak-check full --error-exitcode 3 \
    "$g/bin/tplr" train --device cuda --model "$work/tiny" --data "$work/tiny_rows.npy" --steps 3 --batch 2 --quiet \
    >"$out/memcheck.txt" 2>&1
  rc=$?; tail -5 "$out/memcheck.txt"; echo "memcheck exit $rc"; [ $rc = 0 ] || status=1
else
  echo "compute-sanitizer not on PATH: skipped"
fi

step "bench/gpu: tplr vs PyTorch eager and torch.compile, 150M preset, seq 1024, batch 8"
TPLR="$g/bin/tplr" DATA="$g/data/rows150m.npy" BENCH_OUT="$out" PYTHON=$py timeout 420 bash bench/gpu/run.sh \
  >"$out/bench.jsonl" || status=1
cat "$out/bench.jsonl"
rm -f "$out/tplr.json" "$out/torch_eager.json" "$out/torch_compile.json" # summarized in bench.jsonl
step "done: status $status"
exit $status
