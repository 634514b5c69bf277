using System;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The order in which a <see cref="DataLoader{TBatch}"/> visits its samples each epoch (PyTorch's <c>Sampler</c>). Under
/// ddp every process computes the same order and takes its share of it, so an order must depend only on the epoch and
/// the sampler's own state (a seed), never on the process.
/// </summary>
public abstract class Sampler
{
    /// <summary>The sample indices of <paramref name="epoch"/>, for a dataset of <paramref name="count"/> samples.</summary>
    public abstract long[] Order(long count, int epoch);
}

/// <summary>Samples in dataset order, every epoch.</summary>
public sealed class SequentialSampler : Sampler
{
    /// <inheritdoc />
    public override long[] Order(long count, int epoch)
    {
        var order = new long[count];
        for (long i = 0; i < count; i++) order[i] = i;
        return order;
    }
}

/// <summary>
/// A new random order every epoch. With a seed, epoch <c>e</c> uses <c>seed + e</c>, so a run and its resumed copy
/// see the same orders; without one, each order is drawn from libtorch's default generator (seed it for repeatable runs).
/// </summary>
public sealed class RandomSampler(long? seed = null) : Sampler
{
    /// <summary>The base seed of the orders, if any.</summary>
    public long? Seed { get; } = seed;

    /// <inheritdoc />
    public override long[] Order(long count, int epoch)
    {
        using var scope = NewDisposeScope();
        if (Seed is not long value) return randperm(count).data<long>().ToArray();
        using var generator = new Generator(unchecked((ulong)(value + epoch)));
        return randperm(count, generator: generator).data<long>().ToArray();
    }
}
