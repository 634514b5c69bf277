using System.Linq;
using LitGen.Generators.Model;

namespace LitGen.Generators.Emit;

/// <summary>The hyperparameter half of a module's file: the <c>HyperParameters</c> record, <c>Hparams</c>, <c>LoadFromCheckpoint</c>, LitCli's entry.</summary>
internal static class HyperparameterEmitter
{
    private const string GeneratedCode = ModuleEmitter.GeneratedCode;

    /// <summary>The <c>HyperParameters</c> record; <paramref name="savedIn"/> says in its documentation where the values end up.</summary>
    public static void EmitHyperParametersRecord(SourceWriter writer, TypeModel type, EquatableArray<HyperparameterModel> hyperparameters, string hide, string savedIn)
    {
        writer.Line($"/// <summary>The hyperparameters of <see cref=\"{type.ClassName}\"/>, {savedIn}.</summary>")
            .Line(GeneratedCode)
            .Open($"public {hide}sealed record HyperParameters : global::LitGen.IHyperparameters");
        foreach (var hp in hyperparameters)
        {
            if (hp.Documentation is not null) writer.Line($"/// <summary>{hp.Documentation}</summary>");
            writer.Line(hp.Default is null
                ? $"public required {hp.Type} {hp.Name} {{ get; init; }}"
                : $"public {hp.Type} {hp.Name} {{ get; init; }} = {hp.Default.Expression};");
            writer.Line();
        }

        writer.Line("/// <summary>The values as an indented JSON object, in declaration order.</summary>")
            .Open("public string ToJson()")
            .Line("var json = new global::LitGen.HyperparameterJsonWriter();");
        foreach (var hp in hyperparameters)
            writer.Line(WriteStatement(hp, "json", hp.Name, depth: 0));
        writer.Line("return json.ToString();").Close().Line();

        writer.Line("/// <summary>The values as the text of <c>hparams.yaml</c>.</summary>")
            .Open("public string ToYaml()")
            .Line("var yaml = new global::System.Text.StringBuilder();");
        foreach (var hp in hyperparameters)
            writer.Line($"yaml.Append(\"{YamlKey(hp.Name)}: \").Append({YamlExpression(hp, hp.Name, depth: 0)}).Append('\\n');");
        writer.Line("return yaml.ToString();").Close().Line();

        writer.Line("/// <summary>Reads values written by <see cref=\"ToJson\"/>; members missing from the JSON keep their defaults.</summary>")
            .Open("public static HyperParameters FromJson(string json)")
            .Line("var reader = global::LitGen.HyperparameterJsonReader.Parse(json);")
            .Line("return new HyperParameters");
        writer.Line("{");
        foreach (var hp in hyperparameters)
            writer.Line($"    {hp.Name} = {ReadExpression(hp, "reader", depth: 0)},");
        writer.Line("};").Close().Close();
    }

    /// <summary>The statement writing one hyperparameter (objects: their members, through a static lambda).</summary>
    private static string WriteStatement(HyperparameterModel hp, string json, string value, int depth)
    {
        if (hp.Object is null) return $"{json}.{Serializer(hp, "Write")}(\"{hp.Name}\", {value});";
        string w = "w" + depth, v = "v" + depth;
        var members = string.Join(" ", hp.Object.Members.Select(m => WriteStatement(m, w, $"{v}.{m.Name}", depth + 1)));
        return $"{json}.WriteObject(\"{hp.Name}\", {value}, static ({w}, {v}) => {{ {members} }});";
    }

    /// <summary>
    /// A key as YAML 1.1 readers (PyYAML, so Lightning) keep it a string: names such as <c>On</c> or <c>No</c> would be
    /// read as booleans, <c>Null</c> as null, so they are quoted (inside the generated C# string literal).
    /// </summary>
    private static string YamlKey(string name)
        => Yaml11Specials.Contains(name) ? $"\\\"{name}\\\"" : name;

    private static readonly string[] Yaml11Specials =
    [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
    ];

    /// <summary>The YAML text of one hyperparameter (objects as flow mappings).</summary>
    private static string YamlExpression(HyperparameterModel hp, string value, int depth)
    {
        if (hp.Object is null) return $"global::LitGen.HyperparameterYaml.{Serializer(hp, "Format")}({value})";
        var members = string.Join(", ", hp.Object.Members.Select(m => $"(\"{m.Name}\", {YamlExpression(m, $"{value}.{m.Name}", depth + 1)})"));
        return $"({value} is null ? \"null\" : global::LitGen.HyperparameterYaml.FormatObject({members}))";
    }

    /// <summary>The expression reading one hyperparameter: a default when it has one, required otherwise.</summary>
    private static string ReadExpression(HyperparameterModel hp, string reader, int depth)
    {
        string fallback = hp.Default is null ? "" : ", " + hp.Default.Literal;
        string suppress = hp.Default is { IsNullForNonNullable: true } ? "!" : "";
        if (hp.Object is { } shape)
        {
            string r = "r" + depth;
            var arguments = string.Join(", ", shape.Constructor.Select(binding =>
                $"{binding.Parameter}: {ReadExpression(shape.Members.First(m => m.Name == binding.Member), r, depth + 1)}"));
            var method = hp.IsNullable && hp.Default is null ? "ReadNullableObject" : "ReadObject";
            return $"{reader}.{method}<{hp.ElementType}>(\"{hp.Name}\"{fallback}, static {r} => new {hp.ElementType}({arguments})){suppress}";
        }
        var read = hp.Collection switch
        {
            CollectionKind.None when hp.Kind == ValueKind.Enum => hp.IsNullable ? $"ReadNullableEnum<{hp.EnumType}>" : $"ReadEnum<{hp.EnumType}>",
            CollectionKind.None => $"Read<{hp.Type}>",
            CollectionKind.Array => hp.Kind == ValueKind.Enum ? $"ReadEnumArray<{hp.EnumType}>" : $"ReadArray<{hp.ElementType}>",
            _ => hp.Kind == ValueKind.Enum ? $"ReadEnumList<{hp.EnumType}>" : $"ReadList<{hp.ElementType}>",
        };
        return $"{reader}.{read}(\"{hp.Name}\"{fallback}){suppress}";
    }

    /// <summary>The runtime helper for a hyperparameter: <c>Write</c>, <c>WriteEnum&lt;E&gt;</c>, <c>WriteArray</c>, <c>WriteEnumArray&lt;E&gt;</c> (or <c>Format…</c>).</summary>
    private static string Serializer(HyperparameterModel hp, string verb)
    {
        var name = verb + (hp.Kind == ValueKind.Enum ? "Enum" : "") + (hp.Collection == CollectionKind.None ? "" : "Array");
        return hp.Kind == ValueKind.Enum ? $"{name}<{hp.EnumType}>" : name;
    }

    public static void EmitHparams(SourceWriter writer, EquatableArray<HyperparameterModel> hyperparameters, string hide)
    {
        writer.Line("/// <summary>The current hyperparameter values.</summary>")
            .Line(GeneratedCode)
            .Line($"public {hide}HyperParameters Hparams => new HyperParameters");
        writer.Line("{");
        foreach (var hp in hyperparameters) writer.Line($"    {hp.Name} = this.{hp.Name},");
        writer.Line("};").Line();
        writer.Line(GeneratedCode)
            .Line("protected override global::LitGen.IHyperparameters CurrentHyperparameters => Hparams;");
    }

    public static void EmitLoadFromCheckpoint(SourceWriter writer, ModuleModel model, string hide)
    {
        var passed = model.Constructor!.Parameters.Where(p => p.IsPassedThrough).ToList();
        writer.Line($"/// <summary>")
            .Line($"/// Rebuilds a <see cref=\"{model.Type.ClassName}\"/> from a checkpoint: its hyperparameters (optionally overridden),")
            .Line("/// <c>ConfigureModel</c>, <c>OnLoadCheckpoint</c>, then its weights.")
            .Line("/// </summary>")
            .Line("/// <param name=\"path\">The <c>.ckpt</c> file.</param>");
        foreach (var parameter in passed)
            writer.Line($"/// <param name=\"{parameter.Name}\">Passed to the constructor; not saved in checkpoints.</param>");
        writer.Line("/// <param name=\"overrides\">Changes to the saved hyperparameters, e.g. <c>hp => hp with { LearningRate = 1e-4 }</c>.</param>")
            .Line("/// <param name=\"mapLocation\">The device to move the module to; the CPU when null.</param>")
            .Line("/// <param name=\"strict\">Require the checkpoint's weights to match the module's exactly.</param>")
            .Line(GeneratedCode)
            .Open($"public static {hide}{model.Type.FullyQualifiedName} LoadFromCheckpoint(string path, {string.Concat(passed.Select(p => $"{p.Type} {p.Name}, "))}" +
                "global::System.Func<HyperParameters, HyperParameters>? overrides = null, global::TorchSharp.torch.Device? mapLocation = null, bool strict = true)")
            .Line("using var checkpoint = global::LitGen.Checkpoint.Load(path);")
            .Line($"checkpoint.EnsureModuleType(typeof({model.Type.FullyQualifiedName}));")
            .Line("var hyperparameters = checkpoint.ReadHyperparameters(HyperParameters.FromJson);")
            .Line("if (overrides is not null) hyperparameters = overrides(hyperparameters);")
            .Line($"var restored = checkpoint.CreateModule(() => CreateFromHyperparameters(hyperparameters{string.Concat(passed.Select(p => ", " + p.Name))}), hyperparameters);")
            .Line("restored.LoadCheckpointState(checkpoint, mapLocation, strict);")
            .Line("return restored;")
            .Close();
    }

    /// <summary>
    /// The constructor call from hyperparameters, and what LitCli needs to expose them as options (as
    /// <paramref name="cliInterface"/>, e.g. <c>ILitCliModule</c>).
    /// </summary>
    public static void EmitCli(SourceWriter writer, TypeModel type, EquatableArray<HyperparameterModel> hyperparameters, ConstructorModel constructor, string cliInterface)
    {
        var parameters = constructor.Parameters;
        var passed = parameters.Where(p => p.IsPassedThrough).ToList();
        var arguments = parameters
            .Where(p => p.Hyperparameter is not null || p.IsPassedThrough)
            .Select(p => p.IsPassedThrough ? $"{p.Name}: {p.Name}" : $"{p.Name}: hyperparameters.{p.Hyperparameter}");
        writer.Line(GeneratedCode)
            .Line($"private static {type.FullyQualifiedName} CreateFromHyperparameters(HyperParameters hyperparameters{string.Concat(passed.Select(p => $", {p.Type} {p.Name}"))}) " +
                $"=> new {type.FullyQualifiedName}({string.Join(", ", arguments)});");
        // LitCli builds modules from hyperparameters alone; a module that needs other constructor arguments is built in code.
        if (passed.Count > 0) return;
        writer.Line();
        var cli = $"global::LitGen.{cliInterface}<{type.FullyQualifiedName}>";
        writer.Line(GeneratedCode)
            .Line($"static {type.FullyQualifiedName} {cli}.CreateFromHyperparametersJson(string json) => CreateFromHyperparameters(HyperParameters.FromJson(json));")
            .Line()
            .Line(GeneratedCode)
            .Line($"static global::System.Collections.Generic.IReadOnlyList<global::LitGen.HyperparameterInfo> {cli}.HyperparameterInfos {{ get; }} =")
            .Line("[");
        foreach (var hp in hyperparameters)
        {
            var typeText = Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(hp.Type.Replace("global::", ""), quote: true);
            var defaultText = hp.Default is null ? "null" : Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(DisplayDefault(hp), quote: true);
            var description = hp.Documentation is null ? "null" : Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(hp.Documentation, quote: true);
            writer.Line($"    new(\"{hp.Name}\", {typeText}, global::LitGen.HyperparameterKind.{CliKind(hp)}, {defaultText}, {description}),");
        }
        writer.Line("];");
    }

    private static string CliKind(HyperparameterModel hp) => hp switch
    {
        { Collection: not CollectionKind.None } => "List",
        { Kind: ValueKind.Object } => "Object",
        { Kind: ValueKind.Enum } => "Enum",
        { Type: "bool" or "bool?" } => "Boolean",
        { Type: "string" or "string?" } => "String",
        _ => "Number",
    };

    /// <summary>The default as a user would type it: no numeric suffix, enum members by name.</summary>
    private static string DisplayDefault(HyperparameterModel hp)
    {
        var literal = hp.Default!.Literal;
        if (hp.Kind == ValueKind.Enum && literal.LastIndexOf('.') is int dot and > 0) return literal.Substring(dot + 1);
        if (CliKind(hp) == "Number") return literal.TrimEnd('d', 'f', 'm', 'L', 'U', 'u', 'l', 'D', 'F', 'M');
        return literal;
    }

}
