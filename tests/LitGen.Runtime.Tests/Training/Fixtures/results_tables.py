"""Writes lightning-2.1.4-results-tables.json: the table Lightning 2.1.4 prints after trainer.validate/test, and how
Python writes the floats in it.

It calls Lightning's own printer (_EvaluationLoop._print_results, the plain-text one: rich is not installed) on the
results of ResultsTableTests, with the terminal width each case names. Run it as lightning_behaviours.py is:
    /tmp/tmvenv/bin/python tests/LitGen.Runtime.Tests/Training/Fixtures/results_tables.py
"""
import contextlib
import io
import json
import os

import torch

torch.__version__ = "1.13.1"  # Debian's build says 1.13.0a0, which sorts below 1.13
from lightning.pytorch.loops.evaluation_loop import _EvaluationLoop  # noqa: E402
from lightning.pytorch.callbacks.progress.rich_progress import _RICH_AVAILABLE  # noqa: E402

assert not _RICH_AVAILABLE, "rich draws a different table; run without it"

CASES = [
    {"name": "one loader", "stage": "test", "width": 120,
     "results": [{"test_loss": 0.0651112049818039, "test_acc": 0.9794999957084656}]},
    {"name": "validation", "stage": "validate", "width": 120,
     "results": [{"val_loss": 1.0, "val_acc": 0.5, "lr": 1e-05, "big": 1e16, "count": 1234567.0}]},
    {"name": "two loaders", "stage": "test", "width": 120,
     "results": [{"loss/dataloader_idx_0": 0.25, "shared": 3.0},
                 {"loss/dataloader_idx_1": 0.125, "shared": 3.0, "only_second": -2.5}]},
    {"name": "narrow terminal splits the loaders", "stage": "test", "width": 80,
     "results": [{"acc": 0.1}, {"acc": 0.2}, {"acc": 0.3}, {"acc": 0.4}]},
    {"name": "long metric name wraps", "stage": "test", "width": 60,
     "results": [{"a_metric_name_that_is_much_longer_than_half_of_a_sixty_column_terminal": 7.0, "short": 2.0}]},
    {"name": "nothing logged", "stage": "test", "width": 120, "results": [{}]},
]

for case in CASES:
    os.environ["COLUMNS"] = str(case["width"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _EvaluationLoop._print_results([dict(r) for r in case["results"]], case["stage"])
    case["printed"] = out.getvalue()

# Python's repr of the floats that take its different branches: positional, scientific, the edges between, signed zero.
FLOATS = [0.1, 1 / 3, 1e-4, 9.999e-5, 1e-5, 1.5e-7, 2.5, 100.0, 1e15, 9999999999999998.0, 1e16, 123456789012345678.0, 1e22,
          -0.0, -2.5e-10, 5e-324, 1.7976931348623157e308, 0.9794999957084656]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lightning-2.1.4-results-tables.json")
with open(path, "w") as f:
    json.dump({"tables": CASES, "floats": [{"value": v, "repr": repr(v)} for v in FLOATS]}, f, indent=1)
    f.write("\n")
