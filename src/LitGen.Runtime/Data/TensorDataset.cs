using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>Samples held in tensors that share their first dimension (e.g. features and labels).</summary>
public sealed class TensorDataset
{
    /// <summary>Wraps <paramref name="tensors"/>; sample <c>i</c> is row <c>i</c> of each.</summary>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("A TensorDataset needs at least one tensor.", nameof(tensors));
        if (tensors.Any(t => t.dim() == 0)) throw new ArgumentException("TensorDataset tensors need a first (sample) dimension.", nameof(tensors));
        var count = tensors[0].shape[0];
        if (tensors.Any(t => t.shape[0] != count))
            throw new ArgumentException($"TensorDataset tensors must have the same first dimension; got [{string.Join(", ", tensors.Select(t => t.shape[0]))}].", nameof(tensors));
        Tensors = tensors;
        Count = count;
    }

    /// <summary>The tensors, in the order given.</summary>
    public IReadOnlyList<Tensor> Tensors { get; }

    /// <summary>The number of samples.</summary>
    public long Count { get; }
}
