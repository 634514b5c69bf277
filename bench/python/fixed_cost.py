"""Lightning 2.1.4's fixed cost per fit, the counterpart of `LitGen.Benchmarks fixed` (bench/LitGen.Benchmarks/FixedCost.cs).

The same workload: a 784-256-10 MLP, batch 64, Adam, the loss logged every step, N steps (10 and 300); Trainer.fit
against a hand loop doing the same steps, in rotation; fixed cost = median - the hand loop's median. Two trainers: minimal
(no logger, checkpoint, progress bar or summary) and the defaults (its default logger, a checkpoint at the end, the
model summary; no progress bar). Run with Lightning installed offline over Debian's python3-torch (see
shared reference lightning-2x.md section 10), OpenBLAS on LD_LIBRARY_PATH and two threads:
    LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp python bench/python/fixed_cost.py
"""
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings

import torch

torch.__version__ = "1.13.1"  # Debian's build says 1.13.0a0, which sorts below 1.13
import lightning.pytorch as pl  # noqa: E402

pl.LightningModule._register_sharded_tensor_state_dict_hooks_if_available = lambda self: None
warnings.filterwarnings("ignore")
torch.set_num_threads(2)


class Mlp(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), 1e-3)


def batches(count):
    torch.manual_seed(0)
    return [(torch.randn(64, 784), torch.randint(0, 10, (64,))) for _ in range(count)]


def hand_loop(data):
    model = Mlp()
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    total = torch.zeros(1, dtype=torch.float64)
    model.train()
    for x, y in data:
        loss = torch.nn.functional.cross_entropy(model.net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.detach()
    return total.item()


def fit(data, root, **options):
    trainer = pl.Trainer(max_epochs=1, enable_progress_bar=False, default_root_dir=root, accelerator="cpu", devices=1, **options)
    # A list would be read as several dataloaders; batch_size=None hands over the prepared batches as they are.
    trainer.fit(Mlp(), torch.utils.data.DataLoader(data, batch_size=None))


def measure(steps, rounds, root):
    data = batches(steps)
    runs = [
        ("hand loop", lambda: hand_loop(data)),
        ("fit, minimal", lambda: fit(data, root, logger=False, enable_checkpointing=False, enable_model_summary=False)),
        ("fit, defaults", lambda: fit(data, root)),
    ]
    for _, run in runs:
        run()
    times = [[] for _ in runs]
    for round_ in range(rounds):
        for i in range(len(runs)):
            at = (i + round_) % len(runs)
            start = time.perf_counter()
            runs[at][1]()
            times[at].append((time.perf_counter() - start) * 1000)
    hand = statistics.median(times[0])
    print(f"MLP 784-256-10, {steps} steps, {rounds} rounds (median ms; fixed cost = median - hand loop's median)")
    for (label, _), values in zip(runs, times):
        values.sort()
        extra = "" if label == "hand loop" else f", fixed cost {statistics.median(values) - hand:.1f} ms"
        p10, p90 = values[round(0.1 * (len(values) - 1))], values[round(0.9 * (len(values) - 1))]
        print(f"  {label:<14} median {statistics.median(values):.1f} ms (p10 {p10:.1f}, p90 {p90:.1f}){extra}")


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    root = tempfile.mkdtemp(prefix="lightning-fixed-cost-")
    try:
        import logging
        logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
        measure(10, rounds, root)
        measure(300, max(5, rounds // 4), root)
    finally:
        shutil.rmtree(root)
