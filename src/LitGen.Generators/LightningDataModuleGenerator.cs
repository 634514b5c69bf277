using LitGen.Generators.Emit;
using LitGen.Generators.Parsing;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Generators;

/// <summary>
/// For each <c>partial</c> class marked <c>[LightningDataModule]</c>: the <c>HyperParameters</c> record, <c>Hparams</c>
/// and LitCli's entry, in <c>{Namespace}.{Class}.LitGen.g.cs</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LightningDataModuleGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownSymbols.LightningDataModuleAttributeName,
                static (node, _) => node is ClassDeclarationSyntax,
                DataModuleParser.Parse)
            .WithTrackingName(TrackingNames.DataModuleAnalysis);

        context.RegisterSourceOutput(results.Select(static (result, _) => result.Diagnostics), static (spc, items) =>
        {
            foreach (var diagnostic in items) spc.ReportDiagnostic(diagnostic);
        });

        var models = results
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(TrackingNames.DataModuleModels);
        context.RegisterSourceOutput(models, static (spc, model) => spc.AddSource(model.Type.FileName, DataModuleEmitter.Emit(model)));
    }
}
