using LitGen.Generators.Emit;
using LitGen.Generators.Parsing;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Generators;

/// <summary>
/// For each <c>[LightningModule]</c> class with a <c>Forward</c> (or <c>forward</c>) taking and returning tensors: its ONNX
/// graph builder, <c>BuildOnnxGraph</c>, in <c>{Namespace}.{Class}.Onnx.LitGen.g.cs</c>; LITG0011 (info) at each
/// expression of <c>Forward</c> that ONNX export cannot translate.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class OnnxGraphGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownSymbols.LightningModuleAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                ForwardParser.Parse)
            .WithTrackingName(TrackingNames.OnnxGraphAnalysis);

        context.RegisterSourceOutput(results.Select(static (result, _) => result.Diagnostics), static (spc, items) =>
        {
            foreach (var diagnostic in items) spc.ReportDiagnostic(diagnostic);
        });

        var models = results
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(TrackingNames.OnnxGraphModels);
        context.RegisterSourceOutput(models, static (spc, model) => spc.AddSource(OnnxGraphEmitter.FileName(model.Type), OnnxGraphEmitter.Emit(model)));
    }
}
