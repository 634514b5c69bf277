using System;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Generators;

/// <summary>A parser's answer for one class: a model, or none, and the diagnostics. Only the model is cached by value.</summary>
internal sealed record ParseResult<TModel>(TModel? Model, ImmutableArray<Diagnostic> Diagnostics)
    where TModel : class
{
    public static ParseResult<TModel> Nothing { get; } = new(null, ImmutableArray<Diagnostic>.Empty);
}

/// <summary>
/// The pipeline each LitGen generator is: classes carrying an attribute are parsed into a location-free model and
/// diagnostics; the diagnostics leave through their own output with their original locations, and each model (compared
/// by value, so an edit that does not change it emits nothing) becomes one file.
/// </summary>
internal static class ClassPipeline
{
    public static void Register<TModel>(
        IncrementalGeneratorInitializationContext context,
        string attribute,
        Func<GeneratorAttributeSyntaxContext, CancellationToken, ParseResult<TModel>> parse,
        string analysisStep,
        string modelStep,
        Func<TModel, (string HintName, string Source)> emit)
        where TModel : class
    {
        var results = context.SyntaxProvider
            .ForAttributeWithMetadataName(attribute, static (node, _) => node is ClassDeclarationSyntax, parse)
            .WithTrackingName(analysisStep);

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
            .WithTrackingName(modelStep);
        context.RegisterSourceOutput(models, (spc, model) =>
        {
            var (hintName, source) = emit(model);
            spc.AddSource(hintName, source);
        });
    }
}
