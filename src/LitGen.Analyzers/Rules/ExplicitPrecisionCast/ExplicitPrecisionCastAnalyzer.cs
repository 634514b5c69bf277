using LitGen.Shared;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Analyzers;

/// <summary>
/// LIT0011: <c>.half()</c>, <c>.bfloat16()</c>, <c>.to(ScalarType.Float16)</c> or <c>.to(ScalarType.BFloat16)</c> on a
/// TorchSharp module inside a LightningModule: the trainer owns the module's precision (<c>TrainerOptions.Precision</c>).
/// Casts of tensors are left alone (a step may cast its inputs on purpose).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ExplicitPrecisionCastAnalyzer : LitGenAnalyzer
{
    /// <summary>Creates the rule.</summary>
    public ExplicitPrecisionCastAnalyzer() : base(Descriptors.ExplicitPrecisionCast)
    {
    }

    private static readonly HashSet<string> CastMethods = ["half", "bfloat16", "to"];

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        var scalarType = start.Compilation.GetTypeByMetadataName("TorchSharp.torch+ScalarType");
        SyntaxFilters.RegisterInvocations<IInvocationOperation>(start, symbols, CastMethods, (c, invocation) => Analyze(c, invocation, symbols, scalarType));
    }

    private static void Analyze(SyntaxNodeAnalysisContext context, IInvocationOperation invocation, KnownSymbols symbols, INamedTypeSymbol? scalarType)
    {
        var method = invocation.TargetMethod;
        if (!KnownSymbols.IsOrDerives(symbols.TorchReceiver(method, invocation.Instance?.Type), symbols.TorchModule)) return;
        bool cast = method.Name switch
        {
            "half" or "bfloat16" => true,
            "to" => invocation.Arguments.Any(a => NamesHalfPrecision(a.Value, scalarType)),
            _ => false,
        };
        if (cast) context.ReportDiagnostic(Diagnostic.Create(Descriptors.ExplicitPrecisionCast, invocation.Syntax.GetLocation(), invocation.Syntax.ToString()));
    }

    /// <summary>The ScalarType.Float16 or ScalarType.BFloat16 constant (also as torch.float16/half/bfloat16).</summary>
    private static bool NamesHalfPrecision(IOperation value, INamedTypeSymbol? scalarType)
    {
        if (value is IConversionOperation conversion) value = conversion.Operand;
        if (scalarType is null || !SymbolEqualityComparer.Default.Equals(value.Type, scalarType)) return false;
        return value is IFieldReferenceOperation { Field.Name: "Float16" or "BFloat16" or "float16" or "half" or "bfloat16" };
    }
}
