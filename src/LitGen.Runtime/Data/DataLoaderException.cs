using System;

namespace LitGen;

/// <summary>A sample could not be loaded; <see cref="SampleIndex"/> says which (the inner exception, why).</summary>
public sealed class DataLoaderException : Exception
{
    /// <summary>Creates the exception for sample <paramref name="sampleIndex"/>.</summary>
    public DataLoaderException(string message, long sampleIndex, Exception inner) : base(message, inner) => SampleIndex = sampleIndex;

    /// <summary>The index of the sample in its dataset.</summary>
    public long SampleIndex { get; }
}
