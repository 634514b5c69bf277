using LitGen.Generators.Emit;
using LitGen.Generators.Parsing;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Generators;

/// <summary>
/// For each <c>partial</c> class marked <c>[LightningModule]</c>: the <c>HyperParameters</c> record, <c>Hparams</c>,
/// generated component registration, the hook dispatch table, the loop driver and <c>LoadFromCheckpoint</c>, in
/// <c>{Namespace}.{Class}.LitGen.g.cs</c>. Diagnostics leave through their own output with their original locations;
/// only the location-free model reaches the (cached) emit step.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LightningModuleGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownSymbols.LightningModuleAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                ModuleParser.Parse)
            .WithTrackingName(TrackingNames.ModuleAnalysis);

        var diagnostics = results
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, items) =>
        {
            foreach (var diagnostic in items) spc.ReportDiagnostic(diagnostic);
        });

        var models = results
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(TrackingNames.ModuleModels);
        context.RegisterSourceOutput(models, static (spc, model) => spc.AddSource(model.Type.FileName, ModuleEmitter.Emit(model)));
    }
}
