using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// A tensor of the ONNX graph <see cref="LightningModule.ToOnnx"/> builds: its name in the graph, and the value it has
/// for the export's input sample (TorchSharp computes the sample alongside, which gives every value its shape).
/// </summary>
public sealed class OnnxValue
{
    internal OnnxValue(string name, Tensor sample)
    {
        Name = name;
        Sample = sample;
    }

    /// <summary>The value's name in the graph.</summary>
    public string Name { get; }

    /// <summary>What the value is for the input sample.</summary>
    internal Tensor Sample { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} [{string.Join(", ", Sample.shape)}]";
}
