"""Writes lightning-2.1.4-behaviours.json: what Lightning 2.1.4 does in the seven cases of LightningFidelityTests.

Lightning 2.1.4, lightning-utilities 0.9.0 and torchmetrics 1.2.1, installed offline from their sources into a venv
with system site packages over Debian 12's python3-torch 1.13 (shared reference lightning-2x.md section 10):
    /tmp/tmvenv/bin/python tests/LitGen.Runtime.Tests/Training/Fixtures/lightning_behaviours.py
Every case uses the data of LightningFidelityTests: x = 0, 1, 2, ... (float), y = 2x + 1, batches of 2, unshuffled.
"""
import csv
import json
import logging
import os
import tempfile
import warnings

import torch

torch.__version__ = "1.13.1"  # Debian's build says 1.13.0a0, which sorts below 1.13
import lightning.pytorch as pl  # noqa: E402
from lightning.pytorch.callbacks import Callback, EarlyStopping  # noqa: E402
from lightning.pytorch.loggers import CSVLogger  # noqa: E402

pl.LightningModule._register_sharded_tensor_state_dict_hooks_if_available = lambda self: None
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)


def loader(start, batches):
    x = torch.arange(start, start + 2 * batches, dtype=torch.float32).reshape(-1, 1)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, 2 * x + 1), batch_size=2, shuffle=False)


class Line(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)
        self.validation_batches = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def validation_step(self, batch, batch_idx):
        if not self.trainer.sanity_checking:
            self.validation_batches.append(batch[0][0].item())
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_loss", torch.nn.functional.mse_loss(self.layer(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), 0.01)


def trainer(root, **options):
    base = dict(default_root_dir=root, enable_progress_bar=False, enable_model_summary=False, logger=False, accelerator="cpu", devices=1)
    base.update(options)
    return pl.Trainer(**base)


class StopInFirstEpoch(Callback):
    def on_train_epoch_end(self, trainer, module):
        if trainer.current_epoch == 0:
            trainer.should_stop = True


def min_epochs_with_a_stop_request(root):
    t = trainer(root, min_epochs=3, max_epochs=6, callbacks=[StopInFirstEpoch()], enable_checkpointing=False, num_sanity_val_steps=0)
    t.fit(Line(), loader(0, 2))
    return {"epochs": t.current_epoch, "global_step": t.global_step}


def min_steps_with_a_stop_request(root):
    t = trainer(root, min_steps=5, max_epochs=6, callbacks=[StopInFirstEpoch()], enable_checkpointing=False, num_sanity_val_steps=0)
    t.fit(Line(), loader(0, 2))
    return {"epochs": t.current_epoch, "global_step": t.global_step}


def min_epochs_with_early_stopping(root):
    class Scripted(Line):
        def validation_step(self, batch, batch_idx):
            # Improves until epoch 2, then stays flat.
            self.log("score", float(max(3 - self.current_epoch, 1)))

    stopping = EarlyStopping(monitor="score", patience=1)
    t = trainer(root, min_epochs=4, max_epochs=8, callbacks=[stopping], enable_checkpointing=False, num_sanity_val_steps=0)
    t.fit(Scripted(), loader(0, 2), loader(100, 1))
    return {"epochs": t.current_epoch, "global_step": t.global_step, "stopped_epoch": stopping.stopped_epoch}


def overfit_batches(root):
    module = Line()
    t = trainer(root, overfit_batches=2, max_epochs=1, enable_checkpointing=False, num_sanity_val_steps=0)
    t.fit(module, loader(0, 4), loader(100, 4))
    return {"validation_first_x": module.validation_batches}


class Logging(Line):
    def validation_step(self, batch, batch_idx):
        self.log("vs", float(batch_idx + 1), on_step=True, on_epoch=True)
        self.log("ve", float(batch_idx + 10))
        self.log("hidden", 5.0, logger=False)
        self.log("vstep", float(batch_idx), on_step=True, on_epoch=False)

    def test_step(self, batch, batch_idx):
        self.log("ts", float(batch_idx + 1), on_step=True, on_epoch=True)
        self.log("tstep", float(batch_idx), on_step=True, on_epoch=False)


def evaluation_results(root):
    t = trainer(root, enable_checkpointing=False)
    return {"validate": t.validate(Logging(), loader(100, 3), verbose=False), "test": t.test(Logging(), loader(100, 3), verbose=False)}


def step_rows(root):
    logger = CSVLogger(root, name="rows")
    t = trainer(root, logger=logger, max_epochs=2, enable_checkpointing=False, num_sanity_val_steps=0, log_every_n_steps=1)
    module = Logging()
    t.fit(module, loader(0, 2), loader(100, 3))
    t.test(module, loader(100, 3), verbose=False)
    rows = []
    with open(os.path.join(logger.log_dir, "metrics.csv")) as f:
        for row in csv.DictReader(f):
            for key in ("vstep", "tstep"):
                if row.get(key):
                    rows.append({"metric": key, "value": float(row[key]), "step": int(row["step"]), "epoch": row["epoch"]})
    return {"rows": rows}


def test_last_without_last_ckpt(root):
    module = Line()
    t = trainer(root, max_epochs=1, num_sanity_val_steps=0)
    t.fit(module, loader(0, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = t.test(module, loader(100, 2), ckpt_path="last", verbose=False)
    return {"tested": len(results) == 1 and "test_loss" in results[0],
            "warnings": [str(w.message) for w in caught if "last" in str(w.message)]}


def deterministic_without_seed(root):
    t = trainer(root, deterministic=True, max_epochs=1, enable_checkpointing=False)
    t.fit(Line(), loader(0, 2))
    return {"trained": t.global_step == 2}


def fast_dev_run(root):
    t = trainer(root, fast_dev_run=True)
    t.fit(Line(), loader(0, 4), loader(100, 2))
    files = [f for _, _, names in os.walk(root) for f in names if f.endswith(".ckpt")]
    return {"checkpoint_callback": type(t.checkpoint_callback).__name__, "checkpoint_files": len(files), "global_step": t.global_step}


def customization_hook_order(root):
    class Customized(Line):
        def __init__(self):
            super().__init__()
            self.calls = []

        def record(self, name):
            self.calls.append(name)

        def training_step(self, batch, batch_idx):
            self.record("training_step")
            return super().training_step(batch, batch_idx)

        def validation_step(self, batch, batch_idx):
            self.record("validation_step")

        def configure_optimizers(self):
            optimizer = torch.optim.SGD(self.parameters(), 0.01)
            return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)]

        def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure=None):
            self.record("optimizer_step")
            optimizer.step(closure=optimizer_closure)

        def optimizer_zero_grad(self, epoch, batch_idx, optimizer):
            self.record("optimizer_zero_grad")
            optimizer.zero_grad()

        def lr_scheduler_step(self, scheduler, metric):
            self.record("lr_scheduler_step")
            scheduler.step()

        def on_before_zero_grad(self, optimizer):
            self.record("on_before_zero_grad")

        def on_before_backward(self, loss):
            self.record("on_before_backward")

        def on_after_backward(self):
            self.record("on_after_backward")

        def on_before_optimizer_step(self, optimizer):
            self.record("on_before_optimizer_step")

        def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
            self.record("configure_gradient_clipping")

        def on_train_batch_end(self, outputs, batch, batch_idx):
            self.record("on_train_batch_end")

        def on_train_epoch_end(self):
            self.record("on_train_epoch_end")

        def on_validation_model_eval(self):
            self.record("on_validation_model_eval")
            super().on_validation_model_eval()

        def on_validation_model_train(self):
            self.record("on_validation_model_train")
            super().on_validation_model_train()

        def on_validation_start(self):
            self.record("on_validation_start")

        def on_validation_end(self):
            self.record("on_validation_end")

        def on_test_model_eval(self):
            self.record("on_test_model_eval")
            super().on_test_model_eval()

        def on_test_model_train(self):
            self.record("on_test_model_train")
            super().on_test_model_train()

        def on_predict_model_eval(self):
            self.record("on_predict_model_eval")
            super().on_predict_model_eval()

        def test_step(self, batch, batch_idx):
            self.record("test_step")

        def predict_step(self, batch, batch_idx, dataloader_idx=0):
            self.record("predict_step")
            return batch[0]

    module = Customized()
    t = trainer(root, max_epochs=1, enable_checkpointing=False, num_sanity_val_steps=0)
    t.fit(module, loader(0, 2), loader(100, 1))
    fit_calls = list(module.calls)
    module.calls.clear()
    t.test(module, loader(100, 1), verbose=False)
    test_calls = list(module.calls)
    module.calls.clear()
    t.predict(module, loader(100, 1))
    return {"fit": fit_calls, "test": test_calls, "predict": list(module.calls), "training_after_test": module.training}


cases = {}
for name, case in [("min_epochs_with_a_stop_request", min_epochs_with_a_stop_request),
                   ("min_steps_with_a_stop_request", min_steps_with_a_stop_request),
                   ("min_epochs_with_early_stopping", min_epochs_with_early_stopping),
                   ("overfit_batches", overfit_batches),
                   ("evaluation_results", evaluation_results),
                   ("step_rows", step_rows),
                   ("test_last_without_last_ckpt", test_last_without_last_ckpt),
                   ("deterministic_without_seed", deterministic_without_seed),
                   ("fast_dev_run", fast_dev_run),
                   ("customization_hook_order", customization_hook_order)]:
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as root:
        cases[name] = case(root)

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lightning-2.1.4-behaviours.json"), "w") as f:
    json.dump({"lightning": pl.__version__, "cases": cases}, f, indent=1)
print(json.dumps(cases, indent=1))
