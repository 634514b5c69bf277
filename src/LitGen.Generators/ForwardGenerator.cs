using LitGen.Generators.Emit;
using LitGen.Generators.Parsing;
using LitGen.Shared;
using Microsoft.CodeAnalysis;

namespace LitGen.Generators;

/// <summary>
/// For each <c>[LightningModule]</c> class with a <c>Forward</c> (or <c>forward</c>) taking and returning tensors, in
/// <c>{Namespace}.{Class}.Forward.LitGen.g.cs</c>: <c>RunForward</c> (the example input's call) and its ONNX graph builder,
/// <c>BuildOnnxGraph</c>; LITG0011 (info) at each expression of <c>Forward</c> that ONNX export cannot translate.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ForwardGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context) => ClassPipeline.Register(
        context, KnownSymbols.LightningModuleAttributeName, ForwardParser.Parse, TrackingNames.ForwardAnalysis, TrackingNames.ForwardModels,
        static model => (ForwardEmitter.FileName(model.Type), ForwardEmitter.Emit(model)));
}
