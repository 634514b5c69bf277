using LitGen.Generators.Model;

namespace LitGen.Generators.Emit;

/// <summary>
/// Writes <c>{Namespace}.{Class}.Onnx.LitGen.g.cs</c>: <c>BuildOnnxGraph</c>, the module's <c>Forward</c> written again
/// against <c>OnnxGraph</c> for <c>ToOnnx</c>, or, when <c>Forward</c> cannot be exported, the refusal with its reasons.
/// </summary>
internal static class OnnxGraphEmitter
{
    public static string FileName(TypeModel type) => type.FileName.Replace(".LitGen.g.cs", ".Onnx.LitGen.g.cs");

    public static string Emit(OnnxGraphModel model)
    {
        var type = model.Type;
        var writer = ModuleEmitter.BeginFile(type, model.Usings, model.NamespaceUsings);
        writer.Open($"partial class {type.ClassName}");
        writer.Line(model.Refusal is null
                ? $"/// <summary>The ONNX graph of <c>{model.Forward}</c>, read from its source: the same calls, made on the graph.</summary>"
                : $"/// <summary><c>{model.Forward}</c> cannot be exported to ONNX (LITG0011 at each place that stops it).</summary>")
            .Line(ModuleEmitter.GeneratedCode);
        var signature = $"protected override global::LitGen.OnnxValue BuildOnnxGraph(global::LitGen.OnnxGraph {model.GraphParameter})";
        if (model.Refusal is { } refusal)
        {
            var message = $"{type.ClassName}.{model.Forward} cannot be exported to ONNX: {refusal}.";
            writer.Line($"{signature} => throw new global::System.NotSupportedException({Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(message, quote: true)});");
        }
        else
        {
            writer.Open(signature);
            foreach (var statement in model.Statements) writer.Line(statement);
            writer.Close();
        }
        return ModuleEmitter.EndFile(writer, type);
    }
}
