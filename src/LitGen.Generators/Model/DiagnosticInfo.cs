using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LitGen.Generators.Model;

/// <summary>A diagnostic with its location as values, so it can travel through the incremental pipeline.</summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        var span = location?.GetLineSpan() ?? default;
        return new DiagnosticInfo(descriptor.Id, span.Path ?? "", location?.SourceSpan ?? default, span.Span,
            arguments.ToEquatableArray());
    }

    public Diagnostic ToDiagnostic()
    {
        var location = string.IsNullOrEmpty(FilePath) ? Location.None : Location.Create(FilePath, Span, LineSpan);
        return Diagnostic.Create(Diagnostics.DiagnosticDescriptors.ById(Id), location, System.Linq.Enumerable.ToArray<object>(Arguments));
    }
}
