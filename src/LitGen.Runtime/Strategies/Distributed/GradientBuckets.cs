using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Averages gradients across processes as PyTorch's DistributedDataParallel does: parameters are grouped into buckets of
/// about <c>bucketBytes</c> (<c>DdpStrategy.BucketCapMb</c>, 25 MB by default), each bucket is one flat host buffer and
/// one allreduce (not one call per parameter).
/// Each bucket also carries one flag per parameter, so a gradient that exists on some processes only (a branch not
/// taken) is averaged everywhere and left unset only where no process has one. Frozen parameters take no part.
/// </summary>
internal sealed class GradientBuckets(OpenMpi mpi, Collectives collectives, int worldSize, long bucketBytes) : IDisposable
{
    private readonly List<Bucket> buckets = [];
    private bool[] trainable = [];

    /// <summary>Number of buckets of the last exchange (for tests and the benchmark).</summary>
    public int Count => buckets.Count;

    /// <summary>Replaces every gradient by its mean over the processes.</summary>
    public void AllReduce(IReadOnlyList<Parameter> parameters)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Rebuild(parameters);
        foreach (var bucket in buckets) bucket.AllReduce(mpi, collectives, worldSize);
    }

    private void Rebuild(IReadOnlyList<Parameter> parameters)
    {
        var current = parameters.Select(p => p.requires_grad).ToArray();
        if (current.SequenceEqual(trainable) && buckets.Count > 0 && buckets.Sum(b => b.Parameters.Count) == current.Count(t => t)) return;
        Dispose();
        trainable = current;
        var pending = new List<Parameter>();
        long bytes = 0;
        ScalarType? dtype = null;
        foreach (var parameter in parameters.Where(p => p.requires_grad))
        {
            var flatType = parameter.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
            long size = parameter.numel() * (flatType == ScalarType.Float64 ? 8 : 4);
            if (pending.Count > 0 && (bytes + size > bucketBytes || flatType != dtype))
            {
                buckets.Add(new Bucket(pending, dtype!.Value));
                (pending, bytes) = ([], 0);
            }
            pending.Add(parameter);
            bytes += size;
            dtype = flatType;
        }
        if (pending.Count > 0) buckets.Add(new Bucket(pending, dtype!.Value));
        for (int i = 0; i < buckets.Count; i++) buckets[i].Purpose = $"the gradient exchange (bucket {i + 1} of {buckets.Count}, {buckets[i].Parameters.Count} parameters)";
    }

    public void Dispose()
    {
        foreach (var bucket in buckets) bucket.Dispose();
        buckets.Clear();
    }

    private sealed class Bucket : IDisposable
    {
        private readonly Tensor flat;
        private readonly long[] offsets;
        private readonly long flagsAt;

        public Bucket(List<Parameter> parameters, ScalarType dtype)
        {
            Parameters = parameters;
            offsets = new long[parameters.Count];
            long total = 0;
            for (int i = 0; i < parameters.Count; i++)
            {
                offsets[i] = total;
                total += parameters[i].numel();
            }
            flagsAt = total;
            flat = zeros(total + parameters.Count, dtype).DetachFromDisposeScope();
        }

        public List<Parameter> Parameters { get; }

        /// <summary>What its exchange is, for the reports of a failed or overdue collective.</summary>
        public string Purpose { get; set; } = "the gradient exchange";

        public void AllReduce(OpenMpi mpi, Collectives collectives, int worldSize)
        {
            // Scalars held by using stay alive through the native calls (see ScalarLifetimeTests).
            using var absent = 0.ToScalar();
            using var present = 1.ToScalar();
            for (int i = 0; i < Parameters.Count; i++)
            {
                var parameter = Parameters[i];
                var slice = flat.narrow(0, offsets[i], parameter.numel());
                var grad = parameter.grad;
                if (grad is null) slice.zero_();
                else slice.copy_(grad.reshape(-1));
                flat[flagsAt + i].fill_(grad is null ? absent : present);
            }
            bool isDouble = flat.dtype == ScalarType.Float64;
            collectives.AllReduce(TensorMemory.Address(flat), flat.numel(), isDouble ? mpi.Double : mpi.Float, isDouble ? 8 : 4, mpi.Sum, Purpose);
            using var processes = worldSize.ToScalar();
            flat.narrow(0, 0, flagsAt).div_(processes);
            for (int i = 0; i < Parameters.Count; i++)
            {
                var parameter = Parameters[i];
                var averaged = flat.narrow(0, offsets[i], parameter.numel()).view(parameter.shape);
                var grad = parameter.grad;
                if (grad is not null) grad.copy_(averaged);
                else if (flat[flagsAt + i].item<double>() > 0) parameter.grad = averaged.to(parameter.dtype, parameter.device).clone();
            }
        }

        public void Dispose() => flat.Dispose();
    }
}
