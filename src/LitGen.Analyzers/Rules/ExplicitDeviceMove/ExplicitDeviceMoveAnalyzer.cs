using LitGen.Shared;
using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Analyzers;

/// <summary>
/// LIT0001: <c>.cuda()</c>, <c>.cpu()</c>, <c>.to(DeviceType.CUDA)</c>, <c>.to("cuda")</c>, <c>torch.device("cuda")</c> and
/// <c>new Device("cuda")</c> inside a LightningModule, resolved on TorchSharp's tensor, module and device symbols.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ExplicitDeviceMoveAnalyzer : LitGenAnalyzer
{
    /// <summary>Diagnostic property: <c>Move</c> (drop the call) or <c>Device</c> (use the module's Device).</summary>
    public const string KindProperty = "Kind";

    /// <summary>Creates the rule.</summary>
    public ExplicitDeviceMoveAnalyzer() : base(Descriptors.ExplicitDeviceMove)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        var device = start.Compilation.GetTypeByMetadataName("TorchSharp.torch+Device");
        SyntaxFilters.RegisterInvocations<IInvocationOperation>(start, symbols, MoveMethods, (c, invocation) => AnalyzeInvocation(c, invocation, symbols));
        SyntaxFilters.RegisterCreations<IObjectCreationOperation>(start, symbols, "Device", (c, creation) => AnalyzeCreation(c, creation, symbols, device));
    }

    private static readonly System.Collections.Generic.HashSet<string> MoveMethods = ["cuda", "cpu", "to", "device"];

    private static void AnalyzeInvocation(SyntaxNodeAnalysisContext context, IInvocationOperation invocation, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        if (symbols.TorchReceiver(method, invocation.Instance?.Type) is not { } receiverType) return;
        bool onTensorOrModule = KnownSymbols.IsOrDerives(receiverType, symbols.Tensor) || KnownSymbols.IsOrDerives(receiverType, symbols.TorchModule);

        string? kind = method.Name switch
        {
            "cuda" or "cpu" when onTensorOrModule => "Move",
            "to" when onTensorOrModule && invocation.Arguments.Any(a => NamesCuda(a.Value, symbols)) => "Move",
            "device" when SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.Torch) && invocation.Arguments.Any(a => NamesCuda(a.Value, symbols)) => "Device",
            _ => null,
        };
        if (kind is null) return;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.ExplicitDeviceMove, invocation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(KindProperty, kind), invocation.Syntax.ToString()));
    }

    private static void AnalyzeCreation(SyntaxNodeAnalysisContext context, IObjectCreationOperation creation, KnownSymbols symbols, INamedTypeSymbol? device)
    {
        if (device is null || !SymbolEqualityComparer.Default.Equals(creation.Type, device)) return;
        if (!creation.Arguments.Any(a => NamesCuda(a.Value, symbols))) return;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.ExplicitDeviceMove, creation.Syntax.GetLocation(),
            ImmutableDictionary<string, string?>.Empty.Add(KindProperty, "Device"), creation.Syntax.ToString()));
    }

    /// <summary>A constant "cuda…" string or the DeviceType.CUDA constant.</summary>
    private static bool NamesCuda(IOperation value, KnownSymbols symbols)
    {
        if (value is IConversionOperation conversion) value = conversion.Operand;
        if (!value.ConstantValue.HasValue) return false;
        return value.ConstantValue.Value switch
        {
            string s => s.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) || s.StartsWith("gpu", StringComparison.OrdinalIgnoreCase),
            _ when SymbolEqualityComparer.Default.Equals(value.Type, symbols.DeviceType) => value is IFieldReferenceOperation { Field.Name: "CUDA" },
            _ => false,
        };
    }
}
