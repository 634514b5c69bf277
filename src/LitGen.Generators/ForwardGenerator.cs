using LitGen.Generators.Emit;
using LitGen.Generators.Parsing;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

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
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownSymbols.LightningModuleAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                ForwardParser.Parse)
            .WithTrackingName(TrackingNames.ForwardAnalysis);

        context.RegisterSourceOutput(results.Select(static (result, _) => result.Diagnostics), static (spc, items) =>
        {
            foreach (var diagnostic in items) spc.ReportDiagnostic(diagnostic);
        });

        var models = results
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(TrackingNames.ForwardModels);
        context.RegisterSourceOutput(models, static (spc, model) => spc.AddSource(ForwardEmitter.FileName(model.Type), ForwardEmitter.Emit(model)));
    }
}
