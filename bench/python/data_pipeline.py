"""PyTorch's side of bench/LitGen.Benchmarks DataPipeline.cs: the same files, per-sample work, model and steps.

    python3 bench/python/data_pipeline.py --workers 0|2 [--steps 150] [--data /tmp/litgen-bench-images]

Run `dotnet run -c Release --project bench/LitGen.Benchmarks -- data` once first: it writes the image files.
Prints samples/s, the time from the start of the first epoch to its first batch, the same for a later epoch (what
starting worker processes costs every epoch), and resident memory of the main process plus its worker processes.
"""
import argparse
import json
import os
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

IMAGES, SIDE, CROP = 2048, 64, 56
BLUR = torch.ones(3, 1, 5, 5) / 25


class ImageFiles(Dataset):
    def __init__(self, folder):
        self.folder = folder

    def __len__(self):
        return IMAGES

    def __getitem__(self, index):
        with open(os.path.join(self.folder, f"{index:05d}.rgb"), "rb") as f:
            data = f.read()
        image = torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(1, 3, SIDE, SIDE).float().div_(255)
        for _ in range(6):
            image = F.conv2d(image, BLUR, padding=2, groups=3)
        top, left = random.randint(0, SIDE - CROP), random.randint(0, SIDE - CROP)
        crop = image[0, :, top:top + CROP, left:left + CROP]
        if random.randint(0, 1):
            crop = crop.flip(2)
        return crop.sub(0.5).div(0.25), index % 10


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def children(pid):
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
        except FileNotFoundError:
            pass
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--data", default="/tmp/litgen-bench-images")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 14 * 14, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loader = DataLoader(ImageFiles(args.data), batch_size=32, shuffle=True, num_workers=args.workers)
    warmup, step, timed_start = 10, 0, None
    first_batch, later_epoch_first_batch, peak = None, None, 0.0
    start = time.perf_counter()
    epoch = 0
    while step < warmup + args.steps:
        epoch_start = time.perf_counter()
        for i, (x, y) in enumerate(loader):
            if i == 0:
                waited = (time.perf_counter() - epoch_start) * 1000
                if epoch == 0:
                    first_batch = (time.perf_counter() - start) * 1000
                elif later_epoch_first_batch is None:
                    later_epoch_first_batch = waited
            if step == warmup:
                timed_start = time.perf_counter()
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            step += 1
            peak = max(peak, rss_mib(os.getpid()) + sum(rss_mib(c) for c in children(os.getpid())))
            if step == warmup + args.steps:
                break
        epoch += 1
    elapsed = time.perf_counter() - timed_start
    print(json.dumps({"workers": args.workers, "samples_per_s": round(args.steps * 32 / elapsed, 1), "first_batch_ms": round(first_batch, 1),
                      "later_epoch_first_batch_ms": round(later_epoch_first_batch or 0, 1), "peak_rss_mib_with_workers": round(peak, 1)}))


if __name__ == "__main__":
    main()
