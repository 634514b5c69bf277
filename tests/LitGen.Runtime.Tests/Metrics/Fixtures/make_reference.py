"""Writes torchmetrics-1.2.1.json: inputs and torchmetrics' values, the oracle of MetricReferenceTests.

torchmetrics 1.2.1 and lightning-utilities 0.9.0, installed offline from their sources into a venv over Debian 12's
python3-torch 1.13 (see docs/metrics.md):
    /tmp/tmvenv/bin/python tests/LitGen.Runtime.Tests/Metrics/Fixtures/make_reference.py
"""
import json
import os

import torch

torch.__version__ = "1.13.1"  # Debian's build says 1.13.0a0, which sorts below 1.13

from torchmetrics.classification import (BinaryAccuracy, BinaryAUROC, MulticlassAccuracy, MulticlassAUROC,
                                         MulticlassConfusionMatrix, MulticlassF1Score, MulticlassPrecision,
                                         MulticlassRecall)
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError

generator = torch.Generator().manual_seed(7)
cases = []


def values(t):
    return t.flatten().tolist() if t.dim() > 0 else [t.item()]


def add(name, metric, kind, args, batches):
    for preds, target in batches:
        metric.update(preds, target)
    result = metric.compute()
    cases.append({
        "name": name, "metric": kind, "args": args,
        "batches": [{"preds": values(p), "preds_shape": list(p.shape), "target": values(t)} for p, t in batches],
        "expected": values(result.float()), "expected_shape": list(result.shape),
    })


def split(preds, target, parts):
    size = (len(target) + parts - 1) // parts
    return [(preds[i:i + size], target[i:i + size]) for i in range(0, len(target), size)]


# Multiclass: 4 classes; class 3 never appears in the targets, so macro averages leave it out where torchmetrics does.
logits = torch.randn(30, 4, generator=generator)
probabilities = logits.softmax(1)
target = torch.randint(0, 3, (30,), generator=generator)
for preds_name, preds in [("probabilities", probabilities), ("logits", logits)]:
    for cls, kind in [(MulticlassAccuracy, "MulticlassAccuracy"), (MulticlassPrecision, "MulticlassPrecision"),
                      (MulticlassRecall, "MulticlassRecall"), (MulticlassF1Score, "MulticlassF1Score")]:
        for average in ["micro", "macro", "weighted", "none"]:
            for top_k in [1, 2]:
                add(f"{kind} {average} top{top_k} {preds_name}", cls(4, top_k=top_k, average=average), kind,
                    {"numClasses": 4, "topK": top_k, "average": average}, split(preds, target, 3))
    for average in ["macro", "weighted", "none"]:
        add(f"MulticlassAUROC {average} {preds_name}", MulticlassAUROC(4, average=average), "MulticlassAUROC",
            {"numClasses": 4, "average": average}, split(preds, target, 3))
add("MulticlassConfusionMatrix", MulticlassConfusionMatrix(4), "MulticlassConfusionMatrix", {"numClasses": 4},
    split(probabilities, target, 2))

# Binary: scores with ties, and logits.
scores = torch.tensor([0.1, 0.4, 0.35, 0.8, 0.4, 0.65, 0.2, 0.9, 0.4, 0.05, 0.7, 0.3])
labels = torch.tensor([0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1])
binary_logits = torch.randn(25, generator=generator)
binary_labels = torch.randint(0, 2, (25,), generator=generator)
for threshold in [0.5, 0.3]:
    add(f"BinaryAccuracy threshold {threshold}", BinaryAccuracy(threshold=threshold), "BinaryAccuracy", {"threshold": threshold},
        split(scores, labels, 2))
add("BinaryAccuracy logits", BinaryAccuracy(), "BinaryAccuracy", {"threshold": 0.5}, split(binary_logits, binary_labels, 2))
add("BinaryAUROC ties", BinaryAUROC(), "BinaryAUROC", {}, split(scores, labels, 3))
add("BinaryAUROC logits", BinaryAUROC(), "BinaryAUROC", {}, split(binary_logits, binary_labels, 2))
# Ties that a curve must merge to get the area right: asymmetric (a tie across both labels, more negatives than
# positives in it), all scores equal, and a multiclass column with ties.
asymmetric = torch.tensor([0.9, 0.5, 0.5, 0.5, 0.1])
asymmetric_labels = torch.tensor([1, 1, 0, 0, 0])
add("BinaryAUROC asymmetric ties", BinaryAUROC(), "BinaryAUROC", {}, split(asymmetric, asymmetric_labels, 1))
add("BinaryAUROC asymmetric ties over batches", BinaryAUROC(), "BinaryAUROC", {}, split(asymmetric, asymmetric_labels, 2))
add("BinaryAUROC tie of two positives and one negative", BinaryAUROC(), "BinaryAUROC", {},
    split(torch.tensor([0.8, 0.6, 0.6, 0.6, 0.3, 0.2]), torch.tensor([0, 1, 1, 0, 1, 0]), 1))
add("BinaryAUROC all scores equal", BinaryAUROC(), "BinaryAUROC", {}, split(torch.full((6,), 0.5), torch.tensor([1, 0, 1, 0, 0, 1]), 2))
tied_probabilities = torch.tensor([[0.5, 0.3, 0.2], [0.5, 0.2, 0.3], [0.2, 0.5, 0.3], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.1, 0.3, 0.6]])
tied_target = torch.tensor([0, 1, 1, 2, 0, 2])
for average in ["macro", "none"]:
    add(f"MulticlassAUROC ties {average}", MulticlassAUROC(num_classes=3, average=average), "MulticlassAUROC",
        {"numClasses": 3, "average": average}, split(tied_probabilities, tied_target, 2))

# Regression.
predictions = torch.randn(40, generator=generator)
targets = torch.randn(40, generator=generator)
add("MeanSquaredError", MeanSquaredError(), "MeanSquaredError", {}, split(predictions, targets, 3))
add("MeanAbsoluteError", MeanAbsoluteError(), "MeanAbsoluteError", {}, split(predictions, targets, 3))

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "torchmetrics-1.2.1.json"), "w") as f:
    json.dump({"torchmetrics": "1.2.1", "cases": cases}, f)
print(len(cases), "cases")
