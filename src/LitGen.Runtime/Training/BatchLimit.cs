using System;
using System.Globalization;

namespace LitGen;

/// <summary>
/// A number of batches given as a count (<c>int</c>) or as a fraction of an epoch (<c>double</c>), like Lightning's
/// <c>int | float</c> arguments (<c>limit_train_batches</c>, <c>val_check_interval</c>, <c>overfit_batches</c>).
/// </summary>
public readonly record struct BatchLimit
{
    private BatchLimit(int? count, double? fraction)
    {
        Count = count;
        Fraction = fraction;
    }

    /// <summary>The whole epoch (fraction 1.0).</summary>
    public static BatchLimit All => new(null, 1.0);

    /// <summary>The count, when given as a count.</summary>
    public int? Count { get; }

    /// <summary>The fraction, when given as a fraction.</summary>
    public double? Fraction { get; }

    /// <summary>A count of batches.</summary>
    public static implicit operator BatchLimit(int count)
        => count >= 0 ? new(count, null) : throw new ArgumentOutOfRangeException(nameof(count), count, "A batch count must be 0 or more.");

    /// <summary>A fraction of the epoch's batches, in [0, 1].</summary>
    public static implicit operator BatchLimit(double fraction)
        => fraction is >= 0 and <= 1 ? new(null, fraction) : throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A batch fraction must be between 0.0 and 1.0; use an int for a count.");

    /// <summary>
    /// The number of batches out of <paramref name="available"/> (null when the dataloader has no length), or null for
    /// "until the dataloader ends". Throws when a fraction is applied to a dataloader of unknown length.
    /// </summary>
    internal int? Resolve(int? available, string option)
    {
        if (Count is int count) return available is int n ? Math.Min(count, n) : count;
        double fraction = Fraction ?? 1.0;
        if (available is not int total)
            return fraction == 1.0 ? null : throw new MisconfigurationException(
                $"{option} = {fraction.ToString(CultureInfo.InvariantCulture)} is a fraction, but the dataloader has no length (it is not a collection). Use a batch count (an int) instead.");
        int batches = (int)(total * fraction);
        // An empty dataloader (a process's evaluation shard can be) is no fraction's fault.
        if (batches == 0 && fraction > 0 && total > 0)
            throw new MisconfigurationException(
                $"{option} = {fraction.ToString(CultureInfo.InvariantCulture)} of {total} batches is 0 batches; use a larger fraction or a count.");
        return batches;
    }

    /// <summary>A count as an integer, a fraction always with a decimal point (<c>1.0</c>), so that the text reads back as the same kind.</summary>
    public override string ToString()
    {
        if (Count is int count) return count.ToString(CultureInfo.InvariantCulture);
        var fraction = (Fraction ?? 1.0).ToString("R", CultureInfo.InvariantCulture);
        return fraction.Contains('.', StringComparison.Ordinal) || fraction.Contains('E', StringComparison.Ordinal) ? fraction : fraction + ".0";
    }
}
