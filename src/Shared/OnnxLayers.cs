// The TorchSharp layers ONNX export translates. Linked into LitGen.Runtime (OnnxGraph translates them; its refusal lists
// them) and LitGen.Generators (a Forward that calls a field declared as another TorchSharp layer is refused at compile
// time), so the two cannot disagree.
using System.Collections.Generic;

#if LITGEN_RUNTIME
namespace LitGen;
#else
namespace LitGen.Shared;
#endif

internal static class OnnxLayers
{
    /// <summary>The names of the exported <c>TorchSharp.Modules</c> classes.</summary>
    public static readonly IReadOnlyCollection<string> Supported = new SortedSet<string>
    {
        "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d",
        "Dropout", "Dropout1d", "Dropout2d", "Embedding", "Flatten", "GELU", "Identity", "LayerNorm", "LeakyReLU", "Linear",
        "LogSoftmax", "MaxPool1d", "MaxPool2d", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "Unflatten",
    };

    /// <summary>The list for messages.</summary>
    public static string Names => string.Join(", ", Supported);
}
