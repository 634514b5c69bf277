#!/bin/bash
# Published size and cold start of serving the MNIST model: samples/OnnxServe (ONNX Runtime alone) against
# bench/TorchServe (the same model's checkpoint on TorchSharp). Both are published framework-dependent for linux-x64;
# each runs ROUNDS times, alternating, classifying one digit; medians are printed. docs/performance.md has the results.
#   bench/serve-cold-start.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-9}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "training the MNIST sample for one epoch (its best checkpoint and model.onnx) ..."
(cd "$work" && dotnet run --project "$OLDPWD/samples/MnistClassifier" -c Release -- --max-epochs 1 > train.log)
checkpoints=$(dirname "$(find "$work/lightning_logs" -name model.onnx | head -1)")
ckpt=$(find "$checkpoints" -name '*.ckpt' | head -1)

dotnet publish samples/OnnxServe -c Release -r linux-x64 --no-self-contained -o "$work/onnx" > /dev/null
dotnet publish bench/TorchServe -c Release -r linux-x64 --no-self-contained -o "$work/torch" > /dev/null
echo "published size: OnnxServe $(du -sm "$work/onnx" | cut -f1) MB, TorchServe $(du -sm "$work/torch" | cut -f1) MB"
echo "model files: model.onnx $(( $(stat -c %s "$checkpoints/model.onnx") / 1024 )) KiB, checkpoint $(( $(stat -c %s "$ckpt") / 1024 )) KiB"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: > "$work/onnx.times"; : > "$work/torch.times"
for ((i = 0; i < rounds; i++)); do
  for side in onnx torch; do
    start=$(date +%s%N)
    if [ $side = onnx ]; then out=$("$work/onnx/OnnxServe" "$checkpoints/model.onnx" --count 1)
    else out=$("$work/torch/TorchServe" "$ckpt" --count 1); fi
    wall=$(( ($(date +%s%N) - start) / 1000000 ))
    echo "$(grep -o 'cold start: [0-9]*' <<< "$out" | grep -o '[0-9]*$') $wall" >> "$work/$side.times"
  done
done
for side in onnx torch; do
  echo "$side: first digit $(cut -d' ' -f1 "$work/$side.times" | median) ms after process start, whole process $(cut -d' ' -f2 "$work/$side.times" | median) ms (median of $rounds)"
done
