using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Hands a batch built on one thread to another. TorchSharp's dispose scopes are per thread: the builder takes the
/// batch's tensors out of its scope (the rest of what it made is freed with the scope), and the consumer makes new
/// wrappers of the same tensors on its own thread, which join its current scope (the training step's), releasing the
/// builder's.
/// </summary>
internal static class BatchOwnership
{
    /// <summary>The batch's tensors created in <paramref name="scope"/>, detached from it (the batch owns them now).</summary>
    public static List<Tensor> Detach<TBatch>(DisposeScope scope, TBatch batch)
    {
        var owned = new List<Tensor>();
        BatchTransfer.Map(batch, t =>
        {
            if (scope.Contains(t)) owned.Add(t);
            return t;
        });
        scope.Detach(owned);
        return owned;
    }

    /// <summary>The batch with wrappers of the calling thread (in its current scope); the builder's wrappers are released.</summary>
    public static TBatch Adopt<TBatch>(TBatch batch, List<Tensor> owned)
    {
        var builders = new HashSet<Tensor>(owned, ReferenceEqualityComparer.Instance);
        return BatchTransfer.Map(batch, tensor =>
        {
            var adopted = tensor.alias();
            if (builders.Contains(tensor)) tensor.Dispose();
            return adopted;
        });
    }

    /// <summary>Frees a batch that was built but never handed out.</summary>
    public static void Free(List<Tensor> owned)
    {
        foreach (var tensor in owned) tensor.Dispose();
    }
}
