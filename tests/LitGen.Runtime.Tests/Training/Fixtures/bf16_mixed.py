"""Writes lightning-2.1.4-bf16-mixed.json: an MLP trained 200 steps by Lightning 2.1.4 under "bf16-mixed" and "32-true".

Run with Lightning 2.1.4 in a venv over Debian 12's python3-torch 1.13 (shared reference lightning-2x.md section 10):
    /tmp/tmvenv/bin/python tests/LitGen.Runtime.Tests/Training/Fixtures/bf16_mixed.py
The data and the initial weights are in the JSON, so MixedPrecisionTests trains the same network on the same batches.
Inputs carry more significant bits than bfloat16's 8 (exact in float32, rounded under autocast), so that bf16-mixed
differs from 32-true by more than two bfloat16 implementations differ from each other.
"""
import json
import logging
import os

import torch

torch.__version__ = "1.13.1"  # Debian's build says 1.13.0a0, which sorts below 1.13
import lightning.pytorch as pl  # noqa: E402
from lightning.pytorch.callbacks import Callback  # noqa: E402

pl.LightningModule._register_sharded_tensor_state_dict_hooks_if_available = lambda self: None
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)

BATCHES, ROWS, FEATURES, HIDDEN, STEPS, LR = 8, 16, 8, 16, 200, 0.05


def data():
    x = [[((i * 7 + j * 3) % 11 - 5) / 4 + ((i * j) % 13) / 1024 + 0.001953125 for j in range(FEATURES)] for i in range(BATCHES * ROWS)]
    y = [[((i * 5) % 9 - 4) / 8] for i in range(BATCHES * ROWS)]
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


class Mlp(pl.LightningModule):
    def __init__(self, initial):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(FEATURES, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, 1))
        self.net.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in initial.items()})

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=LR)


class Losses(Callback):
    def __init__(self):
        self.values = []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.values.append(float(outputs["loss"]))


def run(precision, initial):
    x, y = data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=ROWS, shuffle=False)
    module, losses = Mlp(initial), Losses()
    trainer = pl.Trainer(max_steps=STEPS, precision=precision, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=[losses], default_root_dir="/tmp")
    trainer.fit(module, loader)
    return {"losses": losses.values, "final": {k: v.tolist() for k, v in module.net.state_dict().items()}}


torch.manual_seed(0)
initial = {k: v.tolist() for k, v in torch.nn.Sequential(torch.nn.Linear(FEATURES, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, 1)).state_dict().items()}
x, y = data()
result = {
    "lightning": pl.__version__, "torch": "1.13", "steps": STEPS, "batches": BATCHES, "rows": ROWS, "features": FEATURES, "hidden": HIDDEN, "lr": LR,
    "x": x.tolist(), "y": y.tolist(), "initial": initial,
    "bf16-mixed": run("bf16-mixed", initial),
    "32-true": run("32-true", initial),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lightning-2.1.4-bf16-mixed.json")
with open(out, "w") as f:
    json.dump(result, f)
print("wrote", out, "final bf16 loss", result["bf16-mixed"]["losses"][-1], "32 loss", result["32-true"]["losses"][-1])
