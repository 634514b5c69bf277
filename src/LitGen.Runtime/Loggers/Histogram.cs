using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>The distribution of a tensor's values in equal-width buckets, as TensorBoard's histogram tab shows it.</summary>
internal sealed record Histogram(double Min, double Max, double Count, double Sum, double SumOfSquares, IReadOnlyList<double> BucketLimits, IReadOnlyList<double> BucketCounts)
{
    /// <summary>The histogram of <paramref name="values"/> (NaN and infinities left out) in <paramref name="buckets"/> buckets.</summary>
    public static Histogram Of(Tensor values, int buckets = 30)
    {
        using var scope = NewDisposeScope();
        var finite = values.detach().flatten().to(ScalarType.Float64).cpu();
        finite = finite[isfinite(finite)];
        if (finite.numel() == 0) return new Histogram(0, 0, 0, 0, 0, [0], [0]);
        double min = finite.min().item<double>(), max = finite.max().item<double>();
        double width = max > min ? (max - min) / buckets : 1;
        // Scalars held by using stay alive through the native calls (see ScalarLifetimeTests).
        using var low = min.ToScalar();
        using var step = width.ToScalar();
        using var first = 0.ToScalar();
        using var last = (buckets - 1).ToScalar();
        var index = ((finite - low) / step).floor().clamp(first, last).to(ScalarType.Int64);
        var counts = bincount(index, minlength: buckets).to(ScalarType.Float64).data<double>().ToArray();
        var limits = Enumerable.Range(1, buckets).Select(i => i == buckets ? Math.Max(max, min + width * i) : min + width * i).ToArray();
        return new Histogram(min, max, finite.numel(), finite.sum().item<double>(), (finite * finite).sum().item<double>(), limits, counts);
    }
}
