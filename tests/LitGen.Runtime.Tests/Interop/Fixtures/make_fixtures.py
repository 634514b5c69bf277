"""Writes the PyTorch files of InteropTests with Debian 12's python3-torch (PyTorch 1.13):

    /usr/bin/python3 tests/LitGen.Runtime.Tests/Interop/Fixtures/make_fixtures.py

The module matches the tests' RegressionModule: `input` = Linear(1, 8), `output` = Linear(8, 1).
"""
import json
import os
import struct

import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))


class Regression(nn.Module):
    def __init__(self):
        super().__init__()
        self.input = nn.Linear(1, 8)
        self.output = nn.Linear(8, 1)


model = Regression()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) * 0.125 - i)
state = model.state_dict()

torch.save(state, os.path.join(here, "state_dict.pt"))
torch.save(state, os.path.join(here, "legacy.pt"), _use_new_zipfile_serialization=False)
torch.save(model.input.state_dict(), os.path.join(here, "input_layer.pt"))
# The structure of a Lightning 2.1 checkpoint (what trainer.save_checkpoint writes): the weights under "state_dict".
torch.save({
    "epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.1.4",
    "state_dict": state, "hyper_parameters": {"hidden": 8, "learning_rate": 0.05},
    "optimizer_states": [], "lr_schedulers": [], "loops": {}, "callbacks": {},
}, os.path.join(here, "lightning.ckpt"))

# safetensors, written by hand from its specification (the python package is not in Debian 12).
header, data, offset = {"__metadata__": {"format": "pt"}}, b"", 0
for name, tensor in state.items():
    raw = tensor.contiguous().numpy().tobytes()
    header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
    data += raw
    offset += len(raw)
encoded = json.dumps(header).encode()
with open(os.path.join(here, "state_dict.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(encoded)) + encoded + data)

with open(os.path.join(here, "expected.json"), "w") as f:
    json.dump({name: tensor.flatten().tolist() for name, tensor in state.items()}, f)
print("torch", torch.__version__)
