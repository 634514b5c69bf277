using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>How <see cref="Metric"/>s of several classes combine per-class scores (torchmetrics' <c>average</c>).</summary>
public enum Average
{
    /// <summary>Counts summed over all classes, then one score.</summary>
    Micro,

    /// <summary>One score per class (classes never seen in predictions or targets are left out), then their mean.</summary>
    Macro,

    /// <summary>One score per class, averaged with the classes' support (number of targets) as weights.</summary>
    Weighted,

    /// <summary>The per-class scores, not averaged.</summary>
    None,
}

/// <summary>
/// A metric accumulated over an epoch (torchmetrics' <c>Metric</c>): <see cref="Update"/> once per step,
/// <see cref="Compute"/> at the end, <see cref="Reset"/> for the next epoch. Its state lives on the device of the
/// predictions it receives. Logged with <c>Log(name, metric)</c>, the trainer computes and resets it at the epoch end;
/// under the ddp strategy the state is reduced over all processes first (counts summed, scores gathered), and a
/// checkpoint taken mid-epoch holds it, so a resumed epoch ends with the same value. A field of a module, it is a
/// submodule without parameters, as in Lightning.
/// </summary>
public abstract class Metric : nn.Module
{
    private readonly List<State> states = [];
    private Tensor? lastBatchValue;

    /// <summary>Creates the metric; subclasses declare their state with <see cref="AddState"/>.</summary>
    protected Metric(string name) : base(name)
    {
    }

    /// <summary>How a state combines across batches and processes.</summary>
    protected enum Reduction
    {
        /// <summary>Added up (counts, sums).</summary>
        Sum,

        /// <summary>The largest value.</summary>
        Max,

        /// <summary>The smallest value.</summary>
        Min,

        /// <summary>Concatenated along the first dimension (scores kept for a curve).</summary>
        Cat,
    }

    /// <summary>Accumulates the statistics of one batch.</summary>
    public abstract void Update(Tensor preds, Tensor target);

    /// <summary>The metric's value from its state; implement with <see cref="Value"/> and <see cref="Values"/>.</summary>
    protected abstract Tensor ComputeValue();

    /// <summary>
    /// The metric over everything accumulated since the last <see cref="Reset"/> (over all processes under ddp).
    /// Every process must call it at the same point.
    /// </summary>
    public Tensor Compute()
    {
        if (Strategy is not { WorldSize: > 1 } strategy) return ComputeValue();
        var local = states.Select(s => s.Copy()).ToList();
        try
        {
            foreach (var state in states)
            {
                using var purpose = strategy.ForPurpose($"the state '{state.Name}' of metric {GetType().Name}");
                state.Synchronize(strategy);
            }
            return ComputeValue();
        }
        finally
        {
            for (int i = 0; i < states.Count; i++) states[i].Restore(local[i]);
        }
    }

    /// <summary>Updates with the batch and returns the metric of this batch alone (torchmetrics' <c>forward</c>).</summary>
    public Tensor Forward(Tensor preds, Tensor target)
    {
        var accumulated = states.Select(s => s.TakeOut()).ToList();
        foreach (var state in states) state.Reset();
        Update(preds, target);
        var value = ComputeValue();
        for (int i = 0; i < states.Count; i++) states[i].Merge(accumulated[i]);
        lastBatchValue?.Dispose();
        lastBatchValue = value.detach().clone().DetachFromDisposeScope();
        return value;
    }

    /// <summary>Forgets the accumulated state (the trainer calls it after logging an epoch's value).</summary>
    public void Reset()
    {
        foreach (var state in states) state.Reset();
        lastBatchValue?.Dispose();
        lastBatchValue = null;
    }

    /// <summary>Declares a state tensor with its initial value (a new tensor per reset) and how it combines.</summary>
    protected void AddState(string name, Func<Tensor> initial, Reduction reduction)
    {
        ArgumentNullException.ThrowIfNull(initial);
        if (states.Any(s => s.Name == name)) throw new ArgumentException($"{GetType().Name} already has a state '{name}'.", nameof(name));
        var state = new State(name, initial, reduction);
        state.Reset();
        states.Add(state);
    }

    /// <summary>The current value of a <see cref="Reduction.Sum"/>/<see cref="Reduction.Max"/>/<see cref="Reduction.Min"/> state.</summary>
    protected Tensor Value(string name) => Find(name).Value!;

    /// <summary>Replaces a state's value (on the updates' device), e.g. <c>SetValue("tp", Value("tp") + batchTp)</c>.</summary>
    protected void SetValue(string name, Tensor value) => Find(name).Set(value);

    /// <summary>Everything appended to a <see cref="Reduction.Cat"/> state, concatenated (empty before the first update).</summary>
    protected Tensor Values(string name) => Find(name).Concatenated();

    /// <summary>Appends a batch's values to a <see cref="Reduction.Cat"/> state.</summary>
    protected void Append(string name, Tensor values) => Find(name).Append(values);

    /// <summary>torchmetrics' <c>_safe_divide</c>: in float32, and 0 where the denominator is 0.</summary>
    protected static Tensor SafeDivide(Tensor numerator, Tensor denominator)
    {
        ArgumentNullException.ThrowIfNull(numerator);
        ArgumentNullException.ThrowIfNull(denominator);
        var divisor = denominator.to(ScalarType.Float32);
        using var zero = 0.ToScalar();
        return numerator.to(ScalarType.Float32) / where(divisor == zero, ones_like(divisor), divisor);
    }

    /// <summary>Whether every value lies in [0, 1] (probabilities rather than logits, as torchmetrics tells them apart).</summary>
    private protected static bool InUnitInterval(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        // Scalars held by using stay alive through the native calls (see ScalarLifetimeTests).
        using var zero = 0.ToScalar();
        using var one = 1.ToScalar();
        return ((values >= zero) & (values <= one)).all().item<bool>();
    }

    /// <summary>The process group the state is reduced over; set by the trainer when the metric is logged.</summary>
    internal Strategy? Strategy { get; set; }

    /// <summary>This process's value, without reducing over processes (for step-level logging).</summary>
    internal Tensor ComputeLocal() => ComputeValue();

    /// <summary>The value of the last <see cref="Forward"/>, for step-level logging.</summary>
    internal Tensor? LastBatchValue => lastBatchValue;

    /// <summary>The state, exactly (doubles round-trip), for a mid-epoch checkpoint.</summary>
    internal JsonObject SaveState()
    {
        var saved = new JsonObject();
        foreach (var state in states) saved[state.Name] = state.Save();
        return saved;
    }

    /// <summary>Replaces the state with a saved one.</summary>
    internal void LoadState(JsonObject saved)
    {
        foreach (var state in states)
            state.Load(saved[state.Name] as JsonObject ?? throw new InvalidOperationException($"the saved state of {GetType().Name} has no '{state.Name}'."));
    }

    private State Find(string name)
        => states.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"{GetType().Name} has no state '{name}'; declare it with AddState.", nameof(name));

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var state in states) state.Clear();
            lastBatchValue?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>One state: a tensor, or for <see cref="Reduction.Cat"/> the list of appended tensors; kept out of dispose scopes.</summary>
    private sealed class State(string name, Func<Tensor> initial, Reduction reduction)
    {
        private readonly List<Tensor> parts = [];

        public string Name { get; } = name;

        public Tensor? Value { get; private set; }

        public void Reset()
        {
            Clear();
            if (reduction == Reduction.Cat) return;
            using var scope = NewDisposeScope();
            Value = initial().DetachFromDisposeScope();
        }

        public void Clear()
        {
            Value?.Dispose();
            Value = null;
            foreach (var part in parts) part.Dispose();
            parts.Clear();
        }

        public void Set(Tensor value)
        {
            var kept = value.detach().clone().DetachFromDisposeScope();
            Value?.Dispose();
            Value = kept;
        }

        public void Append(Tensor values) => parts.Add(values.detach().clone().DetachFromDisposeScope());

        public Tensor Concatenated() => parts.Count switch
        {
            0 => initial(),
            1 => parts[0].alias(),
            _ => cat(parts.ToArray()),
        };

        /// <summary>A copy of the state, to restore later.</summary>
        public (Tensor? Value, List<Tensor> Parts) Copy()
            => (Value?.clone().DetachFromDisposeScope(), parts.Select(p => p.clone().DetachFromDisposeScope()).ToList());

        /// <summary>The state itself, leaving this one empty (to merge it back later).</summary>
        public (Tensor? Value, List<Tensor> Parts) TakeOut()
        {
            var taken = (Value, new List<Tensor>(parts));
            Value = null;
            parts.Clear();
            return taken;
        }

        public void Restore((Tensor? Value, List<Tensor> Parts) snapshot)
        {
            Clear();
            Value = snapshot.Value;
            parts.AddRange(snapshot.Parts);
        }

        /// <summary>Combines a state taken out before with the current one (this batch's), as the reduction says.</summary>
        public void Merge((Tensor? Value, List<Tensor> Parts) earlier)
        {
            if (reduction == Reduction.Cat)
            {
                parts.InsertRange(0, earlier.Parts);
                return;
            }
            using var scope = NewDisposeScope();
            var current = Value!;
            var before = earlier.Value!.to(current.device);
            var merged = reduction switch
            {
                Reduction.Sum => before + current,
                Reduction.Max => maximum(before, current),
                _ => minimum(before, current),
            };
            Set(merged);
            earlier.Value.Dispose();
        }

        /// <summary>Replaces the state with its reduction over all processes.</summary>
        public void Synchronize(Strategy strategy)
        {
            using var scope = NewDisposeScope();
            if (reduction == Reduction.Cat)
            {
                var gathered = strategy.AllGatherVariable(Concatenated());
                Clear();
                parts.Add(gathered.DetachFromDisposeScope());
                return;
            }
            Set(strategy.AllReduce(Value!, reduction switch { Reduction.Sum => ReduceFx.Sum, Reduction.Max => ReduceFx.Max, _ => ReduceFx.Min }));
        }

        public JsonObject Save()
        {
            using var scope = NewDisposeScope();
            var tensor = reduction == Reduction.Cat ? Concatenated() : Value!;
            var host = tensor.detach().cpu().to(ScalarType.Float64).flatten();
            var values = new JsonArray();
            foreach (var v in host.data<double>()) values.Add(JsonDoubles.From(v));
            return new JsonObject
            {
                ["dtype"] = tensor.dtype.ToString(),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["values"] = values,
            };
        }

        public void Load(JsonObject saved)
        {
            using var scope = NewDisposeScope();
            var dtype = Enum.Parse<ScalarType>((string)saved["dtype"]!);
            var shape = ((JsonArray)saved["shape"]!).Select(d => (long)d!).ToArray();
            var values = ((JsonArray)saved["values"]!).Select(v => JsonDoubles.Read(v!)).ToArray();
            var restored = tensor(values, ScalarType.Float64).reshape(shape).to(dtype);
            Clear();
            if (reduction == Reduction.Cat) parts.Add(restored.DetachFromDisposeScope());
            else Set(restored);
        }
    }
}
