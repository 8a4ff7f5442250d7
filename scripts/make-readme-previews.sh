#!/usr/bin/env bash
# Regenerates the corruption preview grids shown in the README, one per severity profile,
# with the CLI itself. The colour photo is scikit-image's "Chelsea the cat" (CC0, Stefan van
# der Walt), from Debian's python3-skimage; only the resulting grids are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
cat=/usr/lib/python3/dist-packages/skimage/data/chelsea.png
[ -f "$cat" ] || { echo "needs $cat: apt-get install python3-skimage" >&2; exit 1; }
cli="npx tsx src/cli/main.ts --quiet --seed 1"
$cli corrupt --preview fashion-mnist:3 --profile mnist28 --scale 3 --out docs/images/preview-mnist28.png
$cli corrupt --preview "$cat" --image-size 32 --profile cifar32 --scale 3 --out docs/images/preview-cifar32.png
$cli corrupt --preview "$cat" --image-size 224 --profile imagenet224 --scale 1 --corruption common,holdout --severity 1,3,5 --out docs/images/preview-imagenet224.jpg
