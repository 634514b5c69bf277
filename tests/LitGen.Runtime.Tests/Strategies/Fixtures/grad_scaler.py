"""Writes grad-scaler-reference.json: what PyTorch's GradScaler does to an MLP when infs are injected at chosen steps.

The scaler below is a reference implementation of torch.cuda.amp.GradScaler's rule on CPU tensors (PyTorch 1.13 has no
CPU kernels for _amp_foreach_non_finite_check_and_unscale_ and _amp_update_scale_, and disables GradScaler without
CUDA): the loss times the float32 scale; gradients times the scale's reciprocal (computed in double, rounded to
float32) with a check for inf/NaN; the optimizer step skipped when one is found; then the update of
aten/src/ATen/native/cuda/AmpKernels.cu (scale * backoff on a non-finite step; * growth after growth_interval finite
steps in a row, unless that overflows float32). The training loop follows Lightning's MixedPrecision.optimizer_step:
closure (zero_grad, step, backward of the scaled loss), unscale, gradient clipping, step unless non-finite, update.
Step-interval schedulers do not step on a skipped step (LitGen's rule; Lightning steps them and PyTorch warns).

Run with Debian 12's python3-torch 1.13:
    python3 tests/LitGen.Runtime.Tests/Strategies/Fixtures/grad_scaler.py
"""
import json
import math
import os

import torch

BATCHES, ROWS, FEATURES, HIDDEN, STEPS, LR, GAMMA, CLIP = 8, 16, 8, 16, 40, 0.1, 0.95, 0.5
INIT_SCALE, GROWTH_FACTOR, BACKOFF_FACTOR, GROWTH_INTERVAL = 256.0, 1.7, 0.3, 4
INJECT = [2, 3, 9, 17, 18, 19, 30]


class ReferenceScaler:
    def __init__(self):
        self.scale = torch.tensor(INIT_SCALE, dtype=torch.float32)
        self.growth_tracker = 0

    def scale_loss(self, loss):
        return loss * self.scale

    def unscale_(self, parameters):
        inv_scale = self.scale.double().reciprocal().float()
        found_inf = False
        for p in parameters:
            if p.grad is None:
                continue
            found_inf = found_inf or not bool(torch.isfinite(p.grad).all())
            p.grad.mul_(inv_scale)
        return found_inf

    def update(self, found_inf):
        scale = float(self.scale)
        if found_inf:
            self.scale = torch.tensor(scale * BACKOFF_FACTOR, dtype=torch.float32)
            self.growth_tracker = 0
        elif self.growth_tracker + 1 == GROWTH_INTERVAL:
            grown = torch.tensor(scale * GROWTH_FACTOR, dtype=torch.float32)
            if math.isfinite(float(grown)):
                self.scale = grown
            self.growth_tracker = 0
        else:
            self.growth_tracker += 1


def data():
    x = [[((i * 7 + j * 3) % 11 - 5) / 4 + ((i * j) % 13) / 1024 for j in range(FEATURES)] for i in range(BATCHES * ROWS)]
    y = [[((i * 5) % 9 - 4) / 8] for i in range(BATCHES * ROWS)]
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def run(initial, automatic):
    x, y = data()
    net = torch.nn.Sequential(torch.nn.Linear(FEATURES, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, 1))
    net.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in initial.items()})
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=GAMMA)
    scaler = ReferenceScaler()
    steps = []
    for step in range(STEPS):
        b = step % BATCHES
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x[b * ROWS:(b + 1) * ROWS]), y[b * ROWS:(b + 1) * ROWS])
        scaler.scale_loss(loss).backward()
        if step in INJECT:
            net[0].weight.grad[0, 0] = float("inf")
        found_inf = scaler.unscale_(net.parameters())
        if automatic:
            torch.nn.utils.clip_grad_norm_(net.parameters(), CLIP)
        if not found_inf:
            optimizer.step()
        scaler.update(found_inf)
        if automatic and not found_inf:
            scheduler.step()
        steps.append({"loss": float(loss), "skipped": found_inf, "scale": float(scaler.scale), "growth_tracker": scaler.growth_tracker,
                      "lr": optimizer.param_groups[0]["lr"]})
    return {"steps": steps, "final": {k: v.tolist() for k, v in net.state_dict().items()}}


torch.manual_seed(0)
initial = {k: v.tolist() for k, v in torch.nn.Sequential(torch.nn.Linear(FEATURES, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, 1)).state_dict().items()}
x, y = data()
result = {
    "torch": torch.__version__, "steps": STEPS, "batches": BATCHES, "rows": ROWS, "lr": LR, "gamma": GAMMA, "clip": CLIP,
    "init_scale": INIT_SCALE, "growth_factor": GROWTH_FACTOR, "backoff_factor": BACKOFF_FACTOR, "growth_interval": GROWTH_INTERVAL, "inject": INJECT,
    "x": x.tolist(), "y": y.tolist(), "initial": initial,
    "automatic": run(initial, automatic=True),
    "manual": run(initial, automatic=False),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grad-scaler-reference.json")
with open(out, "w") as f:
    json.dump(result, f)
print("wrote", out, [(s["scale"], s["skipped"]) for s in result["automatic"]["steps"]])
