using System.Linq;
using LitGen.Generators.Model;

namespace LitGen.Generators.Emit;

/// <summary>
/// Writes <c>{Namespace}.{Class}.Forward.LitGen.g.cs</c>: <c>RunForward</c>, which calls <c>Forward</c> on
/// <c>ExampleInputArray</c> (the model summary's sizes), and <c>BuildOnnxGraph</c>, the module's <c>Forward</c> written
/// again against <c>OnnxGraph</c> for <c>ToOnnx</c> — or, when <c>Forward</c> cannot be exported, the refusal with its reasons.
/// </summary>
internal static class ForwardEmitter
{
    public static string FileName(TypeModel type) => type.FileName.Replace(".LitGen.g.cs", ".Forward.LitGen.g.cs");

    public static string Emit(ForwardModel model)
    {
        var type = model.Type;
        var writer = ModuleEmitter.BeginFile(type, model.Usings, model.NamespaceUsings);
        writer.Open($"partial class {type.ClassName}");
        EmitRunForward(writer, model);
        writer.Line();
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

    private static void EmitRunForward(SourceWriter writer, ForwardModel model)
    {
        const string tensor = "global::TorchSharp.torch.Tensor";
        var count = model.Parameters.Count;
        var message = $"{model.Type.ClassName}.ExampleInputArray must be {(count == 1 ? "a tensor" : $"{count} tensors")} for " +
            $"{model.Forward}({string.Join(", ", model.Parameters)}){(count == 1 ? "" : ", one per parameter")}.";
        writer.Line($"/// <summary>Calls <c>{model.Forward}</c> on an example input (<c>ExampleInputArray</c>: the model summary's sizes).</summary>")
            .Line(ModuleEmitter.GeneratedCode)
            .Open("protected override object? RunForward(object example)")
            .Line("var tensors = example switch")
            .Line("{")
            .Line($"    {tensor} one => new[] {{ one }},")
            .Line($"    global::System.Collections.Generic.IEnumerable<{tensor}> many => global::System.Linq.Enumerable.ToArray(many),")
            .Line("    _ => null,")
            .Line("};")
            .Line($"if (tensors is not {{ Length: {count} }}) throw new global::LitGen.MisconfigurationException({Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(message, quote: true)});")
            .Line($"return {model.Forward}({string.Join(", ", Enumerable.Range(0, count).Select(i => $"tensors[{i}]"))});")
            .Close();
    }
}
