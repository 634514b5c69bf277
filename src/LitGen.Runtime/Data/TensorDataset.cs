using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Samples held in tensors that share their first dimension (e.g. features and labels): sample <c>i</c> is row <c>i</c>
/// of each. A <see cref="DataLoader{TBatch}"/> over it cuts whole batches out of the tensors at once.
/// </summary>
public sealed class TensorDataset : Dataset<Tensor[]>
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
    public override long Count { get; }

    /// <summary>Row <paramref name="index"/> of each tensor.</summary>
    public override Tensor[] GetItem(long index) => Tensors.Select(t => t[index]).ToArray();
}
