using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using Google.Protobuf;
using static TorchSharp.torch;

namespace LitGen;

// Export to ONNX (Lightning's to_onnx).
public abstract partial class LightningModule
{
    /// <summary>
    /// Writes the module as an ONNX model (Lightning's <c>to_onnx</c>): the graph of its <c>Forward</c> (or
    /// <c>forward</c>), opset 17, the first dimension of every input and of the output dynamic (<c>batch</c>), the weights
    /// as initializers; inputs are named as <c>Forward</c>'s parameters, the output <c>output</c>. The module is run in eval
    /// mode (dropout off, batch norm on running statistics) and left in the mode it was in. LitGen's generator reads
    /// <c>Forward</c> at compile time; what it cannot translate is reported there (LITG0011) and refused here, naming the
    /// expression or layer and where it is.
    /// </summary>
    /// <param name="path">The <c>.onnx</c> file to write (replaced whole, never left half-written).</param>
    /// <param name="inputSample">
    /// A tensor for a one-tensor <c>Forward</c>, or a list of tensors, one per parameter; default <see cref="ExampleInputArray"/>.
    /// Its values are only run through; its shape gives the graph's shapes (all but the batch dimension are fixed).
    /// </param>
    public void ToOnnx(string path, object? inputSample = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var inputs = (inputSample ?? ExampleInputArray) switch
        {
            Tensor tensor => [tensor],
            IEnumerable<Tensor> tensors => tensors.ToArray(),
            null => throw new MisconfigurationException(
                $"{GetType().Name}.ToOnnx needs an input sample: pass one (ToOnnx(path, torch.randn(1, …))) or set ExampleInputArray."),
            var other => throw new MisconfigurationException(
                $"{GetType().Name}.ToOnnx's input sample is a {other.GetType().Name}; pass a tensor, or a list of tensors (one per parameter of Forward)."),
        };
        EnsureComponentsRegistered();
        bool wasTraining = training;
        eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // On the module's device, as Lightning moves to_onnx's sample; the initializers are copied to the CPU.
            var graph = new OnnxGraph(this, inputs.Select(input => input.to(Device)).ToArray());
            var model = graph.Finish(BuildOnnxGraph(graph));
            AtomicFile.Write(path, model.WriteTo);
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>
    /// Builds the ONNX graph of <c>Forward</c>; generated from its source for each <c>[LightningModule]</c> class that has
    /// one. Without a generated graph, export is refused.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected virtual OnnxValue BuildOnnxGraph(OnnxGraph graph) => throw new NotSupportedException(
        $"{GetType().Name} has no Forward for ONNX export: add a method `public Tensor Forward(Tensor x)` (or override forward) " +
        "holding the model's computation, call it from the steps, and mark the class [LightningModule] and partial.");
}
