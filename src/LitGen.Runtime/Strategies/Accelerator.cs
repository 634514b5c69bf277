using System;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The kind of device to train on (Lightning's <c>accelerator</c>): a typed value with named members that also
/// converts from Lightning's strings (<c>Accelerator = "cpu"</c>).
/// </summary>
public sealed class Accelerator : IEquatable<Accelerator>
{
    private Accelerator(string name) => Name = name;

    /// <summary><c>"auto"</c>: CUDA when a CUDA libtorch is loaded and a GPU is present, else the CPU (the default).</summary>
    public static Accelerator Auto { get; } = new("auto");

    /// <summary><c>"cpu"</c>.</summary>
    public static Accelerator Cpu { get; } = new("cpu");

    /// <summary><c>"cuda"</c> (also <c>"gpu"</c>): an NVIDIA GPU through a CUDA build of libtorch.</summary>
    public static Accelerator Cuda { get; } = new("cuda");

    /// <summary>Lightning's name of the accelerator.</summary>
    public string Name { get; }

    /// <summary>Parses Lightning's accelerator strings.</summary>
    public static Accelerator Parse(string name) => name switch
    {
        "auto" => Auto,
        "cpu" => Cpu,
        "cuda" or "gpu" => Cuda,
        _ => throw new MisconfigurationException($"Unknown accelerator \"{name}\". Use \"auto\", \"cpu\", \"cuda\" or \"gpu\" (Accelerator.Auto, .Cpu, .Cuda)."),
    };

    /// <summary>Lightning's string form, e.g. <c>"cpu"</c>.</summary>
    public static implicit operator Accelerator(string name) => Parse(name);

    /// <summary>The device of local process <paramref name="localRank"/>; throws when CUDA is asked for and absent.</summary>
    internal Device Resolve(int localRank)
    {
        if (this == Cpu || (this == Auto && !cuda.is_available())) return CPU;
        if (!cuda.is_available())
            throw new MisconfigurationException(
                $"Accelerator \"{Name}\" was requested but no CUDA device is available to this libtorch " +
                "(TorchSharp-cpu has no CUDA support). Reference a CUDA backend package on a machine with a GPU, or use \"auto\"/\"cpu\".");
        return localRank == 0 ? CUDA : new Device(DeviceType.CUDA, localRank % Math.Max(1, cuda.device_count()));
    }

    /// <inheritdoc />
    public bool Equals(Accelerator? other) => other is not null && other.Name == Name;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Accelerator);

    /// <inheritdoc />
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Equality by name.</summary>
    public static bool operator ==(Accelerator? left, Accelerator? right) => Equals(left, right);

    /// <summary>Inequality by name.</summary>
    public static bool operator !=(Accelerator? left, Accelerator? right) => !Equals(left, right);
}
