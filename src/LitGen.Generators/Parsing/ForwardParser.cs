using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using LitGen.Generators.Diagnostics;
using LitGen.Generators.Model;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Generators.Parsing;

/// <summary>
/// Reads a module's <c>Forward</c> (or <c>forward</c>) and writes it again against <c>LitGen.OnnxGraph</c>: tensors become
/// graph values, layer calls <c>Layer(…)</c>, TorchSharp operations the graph's operations, and every other expression is
/// kept as written (constants as literals), control flow included where it does not read a tensor. Whatever has no ONNX
/// translation — a call it does not know, data-dependent control flow, a shape read from a tensor — is a LITG0011 at its
/// location and the module's refusal.
/// </summary>
internal sealed class ForwardParser
{
    private readonly SemanticModel semantics;
    private readonly KnownSymbols known;
    private readonly IMethodSymbol forward;
    private readonly string graph;
    private readonly HashSet<ILocalSymbol> tensorLocals = new(SymbolEqualityComparer.Default);
    private readonly List<Diagnostic> refusals = [];
    private readonly List<string> refusalTexts = [];

    private ForwardParser(SemanticModel semantics, KnownSymbols known, IMethodSymbol forward, string graph)
    {
        this.semantics = semantics;
        this.known = known;
        this.forward = forward;
        this.graph = graph;
    }

    public static ParseResult<ForwardModel> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var known = KnownSymbols.From(context.SemanticModel.Compilation);
        if (known?.Tensor is null || type.IsGenericType || !KnownSymbols.IsOrDerives(type, known.LightningModuleOfT)
            || ((ClassDeclarationSyntax)context.TargetNode).Modifiers.All(m => !m.IsKind(SyntaxKind.PartialKeyword)))
            return ParseResult<ForwardModel>.Nothing;
        var forward = FindForward(type, known.Tensor);
        if (forward?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not MethodDeclarationSyntax declaration)
            return ParseResult<ForwardModel>.Nothing;

        var semantics = declaration.SyntaxTree == context.SemanticModel.SyntaxTree
            ? context.SemanticModel
            : context.SemanticModel.Compilation.GetSemanticModel(declaration.SyntaxTree);
        var usedNames = new HashSet<string>(declaration.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
        var graph = "onnx";
        while (usedNames.Contains(graph)) graph += "_";

        var parser = new ForwardParser(semantics, known, forward, graph);
        var statements = parser.Translate(declaration, cancellationToken);
        // Global usings already apply to the generated file; repeating one would be a warning there.
        var usings = declaration.SyntaxTree.GetCompilationUnitRoot(cancellationToken).Usings
            .Where(u => u.GlobalKeyword.IsKind(SyntaxKind.None)).Select(u => u.ToString()).ToEquatableArray();
        var namespaceUsings = declaration.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Reverse()
            .SelectMany(n => n.Usings).Select(u => u.ToString()).ToEquatableArray();
        var model = new ForwardModel(
            ModuleParser.CreateTypeModel(type, ModuleParser.ContainingTypes((ClassDeclarationSyntax)context.TargetNode, type, Location.None, []), known.LightningModuleAttribute),
            forward.Name,
            forward.Parameters.Select(p => p.Name).ToEquatableArray(),
            usings,
            namespaceUsings,
            graph,
            parser.refusals.Count == 0 ? statements.ToEquatableArray() : EquatableArray<string>.Empty,
            parser.refusals.Count == 0 ? null : string.Join("; ", parser.refusalTexts));
        return new ParseResult<ForwardModel>(model, parser.refusals.ToImmutableArray());
    }

    /// <summary><c>Forward</c>, else <c>forward</c>: declared here, taking and returning tensors.</summary>
    private static IMethodSymbol? FindForward(INamedTypeSymbol type, INamedTypeSymbol tensor)
    {
        bool Candidate(IMethodSymbol m) => !m.IsStatic && !m.IsAbstract && m.Parameters.Length > 0
            && SymbolEqualityComparer.Default.Equals(m.ReturnType, tensor)
            && m.Parameters.All(p => SymbolEqualityComparer.Default.Equals(p.Type, tensor) && p.RefKind == RefKind.None);
        var methods = type.GetMembers().OfType<IMethodSymbol>().Where(Candidate).ToList();
        return methods.FirstOrDefault(m => m.Name == "Forward") ?? methods.FirstOrDefault(m => m.Name == "forward");
    }

    private List<string> Translate(MethodDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        var lines = forward.Parameters.Select(p => $"var {Identifier(p.Name)} = {graph}.Input(\"{p.Name}\");").ToList();
        if (semantics.GetOperation(declaration, cancellationToken) is not IMethodBodyOperation body || (body.BlockBody ?? body.ExpressionBody) is not { } block)
        {
            Refuse(declaration.Identifier, "its body could not be read");
            return lines;
        }
        foreach (var statement in block.Operations) Statement(statement, lines);
        return lines;
    }

    private void Statement(IOperation statement, List<string> lines)
    {
        switch (statement)
        {
            case IReturnOperation { ReturnedValue: { } value }:
                if (Tensor(value) is { } returned) lines.Add($"return {returned};");
                break;
            case IVariableDeclarationGroupOperation group:
                foreach (var declarator in group.Declarations.SelectMany(d => d.Declarators)) Declare(declarator, lines);
                break;
            case IUsingDeclarationOperation { DeclarationGroup: { } group }:
                // The graph has no tensors to dispose: `using var h = …` is a plain value there.
                foreach (var declarator in group.Declarations.SelectMany(d => d.Declarators)) Declare(declarator, lines);
                break;
            case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment } when AssignedTensor(assignment.Target) is { } target:
                if (Tensor(assignment.Value) is { } assigned) lines.Add($"{target} = {assigned};");
                break;
            case IExpressionStatementOperation expression when ReadTensor(expression.Operation) is null:
                // Arithmetic on numbers (a loop counter, say) is kept as written.
                lines.Add(expression.Syntax.ToString());
                break;
            case IBlockOperation nested:
                Body(nested, lines);
                break;
            // Control flow that does not depend on the data is kept: the generated code takes, at export, the path the
            // module's configuration selects (a hyperparameter's branch, each layer of a ModuleList).
            case IConditionalOperation { Syntax: IfStatementSyntax } conditional:
                if (Condition(conditional.Condition) is not { } condition) break;
                lines.Add($"if ({condition})");
                Body(conditional.WhenTrue, lines);
                if (conditional.WhenFalse is { } otherwise)
                {
                    lines.Add("else");
                    Body(otherwise, lines);
                }
                break;
            case IForEachLoopOperation { Syntax: ForEachStatementSyntax syntax } loop:
                if (IsTensor(loop.Locals.FirstOrDefault()?.Type))
                    Refuse(syntax.Expression, "a loop over tensors has no ONNX translation (loop over layers instead)");
                else if (Condition(loop.Collection) is { } collection)
                {
                    lines.Add($"foreach ({syntax.Type} {syntax.Identifier} in {collection})");
                    Body(loop.Body, lines);
                }
                break;
            case IForLoopOperation { Syntax: ForStatementSyntax syntax } loop:
                var header = loop.Before.Concat(loop.AtLoopBottom).Prepend(loop.Condition).OfType<IOperation>().Select(ReadTensor).FirstOrDefault(read => read is not null);
                if (header is not null) RefuseDataDependent(header);
                else
                {
                    lines.Add($"for ({(object?)syntax.Declaration ?? string.Join(", ", syntax.Initializers)}; {syntax.Condition}; {string.Join(", ", syntax.Incrementors)})");
                    Body(loop.Body, lines);
                }
                break;
            case IWhileLoopOperation { Syntax: WhileStatementSyntax, Condition: { } whileCondition } loop:
                if (Condition(whileCondition) is not { } loopCondition) break;
                lines.Add($"while ({loopCondition})");
                Body(loop.Body, lines);
                break;
            case IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue } branch:
                lines.Add(branch.Syntax.ToString());
                break;
            default:
                Refuse(statement.Syntax, "this statement has no ONNX translation (LitGen translates declarations, assignments, return, if, for, foreach and while)");
                break;
        }
    }

    /// <summary>A statement's body in braces, indented; a block's statements keep their own scope.</summary>
    private void Body(IOperation body, List<string> lines)
    {
        var inner = new List<string>();
        foreach (var statement in body is IBlockOperation block ? block.Operations : ImmutableArray.Create(body)) Statement(statement, inner);
        lines.Add("{");
        lines.AddRange(inner.Select(line => "    " + line));
        lines.Add("}");
    }

    /// <summary>A condition or loop collection as written, or null (refused) when it reads a tensor.</summary>
    private string? Condition(IOperation condition)
    {
        if (ReadTensor(condition) is { } tensor) return RefuseDataDependent(tensor);
        return condition.Syntax.ToString();
    }

    private string? RefuseDataDependent(IOperation tensor) => Refuse((tensor.Parent ?? tensor).Syntax,
        "data-dependent control flow: the branch taken would depend on the input, and an ONNX graph is one fixed sequence of operations (decide from hyperparameters or layers, not from the data)");

    /// <summary>The first tensor an expression reads, or null.</summary>
    private IOperation? ReadTensor(IOperation operation) => operation.Descendants().Prepend(operation).FirstOrDefault(o => IsTensor(o.Type));

    /// <summary>The name of a tensor local or parameter of Forward being assigned, or null.</summary>
    private string? AssignedTensor(IOperation target) => target switch
    {
        ILocalReferenceOperation local when tensorLocals.Contains(local.Local) => Identifier(local.Local.Name),
        IParameterReferenceOperation parameter when SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, forward) => Identifier(parameter.Parameter.Name),
        _ => null,
    };

    private void Declare(IVariableDeclaratorOperation declarator, List<string> lines)
    {
        var local = declarator.Symbol;
        var initializer = declarator.Initializer?.Value;
        if (IsTensor(local.Type))
        {
            tensorLocals.Add(local);
            if (initializer is null) Refuse(declarator.Syntax, "a tensor declared without a value");
            else if (Tensor(initializer) is { } value) lines.Add($"var {Identifier(local.Name)} = {value};");
        }
        else
        {
            var declaration = $"{local.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)} {Identifier(local.Name)}";
            if (initializer is null) lines.Add(declaration + ";");
            else if (Value(initializer) is { } value) lines.Add($"{declaration} = {value};");
        }
    }

    /// <summary>A tensor expression as a graph value, or null (refused).</summary>
    private string? Tensor(IOperation operation)
    {
        switch (operation)
        {
            case IConversionOperation { Conversion.IsIdentity: true } or IConversionOperation { Conversion.IsImplicit: true, Conversion.IsUserDefined: false }:
                return Tensor(((IConversionOperation)operation).Operand);
            case IParameterReferenceOperation parameter when SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, forward):
                return Identifier(parameter.Parameter.Name);
            case ILocalReferenceOperation local when tensorLocals.Contains(local.Local):
                return Identifier(local.Local.Name);
            case IMemberReferenceOperation { Instance: IInstanceReferenceOperation, Member: IFieldSymbol or IPropertySymbol } member when IsTensor(member.Type):
                return $"{graph}.Weight({Identifier(member.Member.Name)}, {Quoted(member.Member.Name)})";
            case IInvocationOperation invocation:
                return Invocation(invocation);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return Condition(conditional.Condition) is { } condition && Tensor(conditional.WhenTrue) is { } whenTrue && Tensor(whenFalse) is { } otherwise
                    ? $"({condition}) ? {whenTrue} : {otherwise}" : null;
            case IBinaryOperation binary when binary.OperatorMethod is { ContainingType: var containing } && IsTensor(containing):
                return Arithmetic(binary.OperatorKind, binary.LeftOperand, binary.RightOperand, binary.Syntax);
            default:
                // Name the layer when the expression is refused because of what it calls (a GRU's tuple, say).
                var layerCall = operation.Descendants().OfType<IInvocationOperation>()
                    .FirstOrDefault(i => i.TargetMethod.Name is "forward" or "call" && IsLayer(i.Instance?.Type));
                return layerCall is not null && IsUnsupportedLayer(layerCall.Instance!.Type!)
                    ? LayerCall(layerCall, layerCall.Instance!)
                    : Refuse(operation.Syntax, "this expression has no ONNX translation");
        }
    }

    private string? Invocation(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.Name is "forward" or "call" && invocation.Instance is { } receiver && IsLayer(receiver.Type))
            return LayerCall(invocation, receiver);

        var owner = method.ContainingType?.ToDisplayString();
        if (owner is not ("TorchSharp.torch" or "TorchSharp.torch.nn.functional" or "TorchSharp.torch.Tensor"))
            return Refuse(invocation.Syntax, $"`{method.Name}` is not a TorchSharp layer or operation LitGen translates (it reads Forward only, not the methods it calls)");

        var input = invocation.Instance is { } instance && IsTensor(instance.Type) ? instance : Argument(invocation, 0);
        string? Unary(string op) => Tensor(input!) is { } x ? $"{graph}.{op}({x})" : null;
        switch (method.Name)
        {
            case "relu": return Unary("Relu");
            case "tanh": return Unary("Tanh");
            case "sigmoid": return Unary("Sigmoid");
            case "gelu":
                return Tensor(input!) is { } gx && Named(invocation, "approximate", "global::TorchSharp.Modules.GELU.Approximate.none", number: false) is { } approximate
                    ? $"{graph}.Gelu({gx}, {approximate})" : null;
            case "leaky_relu":
                return Tensor(input!) is { } lx && Named(invocation, "negative_slope", null) is { } slope ? $"{graph}.LeakyRelu({lx}, {slope})" : null;
            case "softmax" or "log_softmax":
                if (IsExplicit(invocation, "dtype")) return Refuse(invocation.Syntax, "a dtype argument of softmax is not translated; convert the result in the serving code");
                return Tensor(input!) is { } sx && Named(invocation, "dim", null) is { } dim
                    ? $"{graph}.{(method.Name == "softmax" ? "Softmax" : "LogSoftmax")}({sx}, {dim})" : null;
            case "dropout":
                if (Parameter(invocation, "training")?.ConstantValue is { HasValue: true, Value: true })
                    return Refuse(invocation.Syntax, "dropout with training: true drops at inference too, which ONNX's eval graph does not");
                return Tensor(input!);
            case "flatten" when Parameter(invocation, "start_dim") is not null:
                return Tensor(input!) is { } fx && Named(invocation, "start_dim", "0") is { } start && Named(invocation, "end_dim", "-1") is { } end
                    ? $"{graph}.Flatten({fx}, {start}, {end})" : null;
            case "view" or "reshape":
                return Tensor(input!) is { } rx && Shape(Parameter(invocation, "shape")!) is { } shape ? $"{graph}.Reshape({rx}, {shape})" : null;
            case "matmul" or "mm":
                return Binary(invocation, "MatMul");
            case "add" or "sub" or "mul" or "div":
                if (IsExplicit(invocation, "alpha") || IsExplicit(invocation, "rounding_mode"))
                    return Refuse(invocation.Syntax, $"`{method.Name}` with alpha or a rounding mode is not translated; write it with * and / or round in the serving code");
                var other = invocation.Instance is not null ? Argument(invocation, 0)! : Argument(invocation, 1)!;
                var kind = method.Name switch { "add" => BinaryOperatorKind.Add, "sub" => BinaryOperatorKind.Subtract, "mul" => BinaryOperatorKind.Multiply, _ => BinaryOperatorKind.Divide };
                return Arithmetic(kind, input!, other, invocation.Syntax);
            case "cat" or "concat":
                return Concat(invocation);
            default:
                return Refuse(invocation.Syntax, $"`{method.Name}` has no ONNX translation in LitGen (it translates relu, gelu, tanh, sigmoid, leaky_relu, softmax, log_softmax, dropout, flatten, view, reshape, matmul, add, sub, mul, div, cat and the layers {OnnxLayers.Names})");
        }
    }

    private string? LayerCall(IInvocationOperation invocation, IOperation receiver)
    {
        var layerType = receiver.Type!;
        if (IsUnsupportedLayer(layerType))
            return Refuse(invocation.Syntax, $"the layer `{receiver.Syntax}` is a {layerType.Name}, which LitGen does not translate (it translates {OnnxLayers.Names})");
        if (KnownSymbols.IsOrDerives(layerType, known.LightningModule))
            return Refuse(invocation.Syntax, $"`{receiver.Syntax}` is a LightningModule; export it on its own, or write its computation in this Forward");
        if (invocation.Arguments.Length != 1 || Tensor(invocation.Arguments[0].Value) is not { } input) return invocation.Arguments.Length != 1
            ? Refuse(invocation.Syntax, "a layer call with more than one input has no ONNX translation")
            : null;
        if (Value(receiver) is not { } layer) return null;
        var path = receiver.Syntax.ToString().Replace("this.", "").TrimEnd('!');
        return $"{graph}.Layer({layer}, {Quoted(path)}, {Quoted(Where(invocation.Syntax))}, {input})";
    }

    private static bool IsUnsupportedLayer(ITypeSymbol layerType)
        => layerType.ContainingNamespace?.ToDisplayString() == "TorchSharp.Modules" && !layerType.IsAbstract && !OnnxLayers.Supported.Contains(layerType.Name);

    private string? Binary(IInvocationOperation invocation, string op)
    {
        var left = invocation.Instance ?? Argument(invocation, 0)!;
        var right = invocation.Instance is null ? Argument(invocation, 1)! : Argument(invocation, 0)!;
        return Tensor(left) is { } a && Tensor(right) is { } b ? $"{graph}.{op}({a}, {b})" : null;
    }

    private string? Arithmetic(BinaryOperatorKind kind, IOperation left, IOperation right, SyntaxNode syntax)
    {
        var op = kind switch
        {
            BinaryOperatorKind.Add => "Add",
            BinaryOperatorKind.Subtract => "Subtract",
            BinaryOperatorKind.Multiply => "Multiply",
            BinaryOperatorKind.Divide => "Divide",
            _ => null,
        };
        if (op is null) return Refuse(syntax, $"the operator {kind} has no ONNX translation");
        bool leftTensor = IsTensor(Unconverted(left).Type), rightTensor = IsTensor(Unconverted(right).Type);
        var a = leftTensor ? Tensor(left) : null;
        var b = rightTensor ? Tensor(right) : null;
        if ((leftTensor && a is null) || (rightTensor && b is null)) return null;
        // A number operand is passed as a number: the graph makes it a constant of the tensor operand's element type.
        if (!leftTensor) a = Number(Unconverted(left));
        if (!rightTensor) b = Number(Unconverted(right));
        return a is null || b is null ? null : $"{graph}.{op}({a}, {b})";
    }

    private string? Concat(IInvocationOperation invocation)
    {
        var tensors = Parameter(invocation, "tensors");
        IEnumerable<IOperation>? elements = Unconverted(tensors!) switch
        {
            IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues,
            var other when other.Syntax is CollectionExpressionSyntax collection
                => collection.Elements.OfType<ExpressionElementSyntax>().Select(e => semantics.GetOperation(e.Expression)!),
            _ => null,
        };
        if (elements is null) return Refuse(invocation.Syntax, "cat needs its tensors written in place (new[] { a, b } or [a, b])");
        var values = elements.Select(Tensor).ToList();
        return values.Any(v => v is null) || Named(invocation, "dim", "0") is not { } dim ? null : $"{graph}.Concat({dim}, {string.Join(", ", values)})";
    }

    /// <summary>The shape of a view/reshape: its numbers as written, <c>x.shape[0]</c>/<c>x.size(0)</c> in first place as ONNX's 0 (copy, keeps the batch dynamic).</summary>
    private string? Shape(IOperation shape)
    {
        if (Unconverted(shape) is not IArrayCreationOperation { Initializer: { } initializer })
            return Unconverted(shape).Type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Int64 }
                ? Value(Unconverted(shape))
                : Refuse(shape.Syntax, "a shape passed as a collection other than long[] has no ONNX translation; write the sizes in the call");
        var sizes = new List<string>();
        foreach (var (size, position) in initializer.ElementValues.Select((s, i) => (Unconverted(s), i)))
        {
            if (IsDimensionOf(size, position)) sizes.Add("0");
            else if (Number(size) is { } value) sizes.Add(value);
            else return null;
        }
        return string.Join(", ", sizes);
    }

    private bool IsDimensionOf(IOperation size, int position)
    {
        var (tensor, index) = size switch
        {
            IArrayElementReferenceOperation { ArrayReference: IPropertyReferenceOperation { Property.Name: "shape", Instance: { } shapeOf }, Indices.Length: 1 } element
                => (shapeOf, element.Indices[0]),
            IInvocationOperation { TargetMethod.Name: "size", Instance: { } sizeOf, Arguments.Length: 1 } call => (sizeOf, call.Arguments[0].Value),
            _ => ((IOperation?)null, (IOperation?)null),
        };
        return tensor is not null && IsTensor(tensor.Type)
            && Unconverted(index!).ConstantValue is { HasValue: true, Value: int or long } constant && System.Convert.ToInt64(constant.Value) == position;
    }

    /// <summary>A value that is not a tensor: a constant as a literal, anything else as written unless it reads a tensor.</summary>
    private string? Value(IOperation operation)
    {
        var constant = operation.ConstantValue;
        if (constant.HasValue) return Literal(constant.Value, operation.Type);
        if (ReadTensor(operation) is { } tensor)
            return Refuse((tensor.Parent ?? tensor).Syntax, "a number read from a tensor (its values or shape) fixes what the graph computes for this input only");
        // Values are always whole arguments or initializers in the generated code, so they need no parentheses.
        return operation.Syntax.ToString();
    }

    /// <summary>A value that must be a plain number (the graph's parameters are long or double): anything else is refused.</summary>
    private string? Number(IOperation operation) => operation.Type?.SpecialType is
        SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16 or
        SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or
        SpecialType.System_Single or SpecialType.System_Double
        ? Value(operation)
        : Refuse(operation.Syntax, $"`{operation.Syntax}` is a {operation.Type?.Name ?? "value without a type"}, not a number; pass a C# number here");

    private static string Literal(object? value, ITypeSymbol? type) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => SymbolDisplay.FormatLiteral(s, quote: true),
        _ when type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType => EnumMember(enumType, value),
        double d => d.ToString("R", CultureInfo.InvariantCulture) + "d",
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };

    private static string EnumMember(INamedTypeSymbol type, object value)
    {
        var name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var member = type.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, value));
        return member is null ? $"(({name}){value})" : $"{name}.{member.Name}";
    }

    /// <summary>
    /// The argument for <paramref name="parameter"/> as a value (a <paramref name="number"/> unless said otherwise), its
    /// default written as <paramref name="fallback"/>.
    /// </summary>
    private string? Named(IInvocationOperation invocation, string parameter, string? fallback, bool number = true)
    {
        var argument = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter);
        if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue)
            return fallback ?? (argument is null ? Refuse(invocation.Syntax, $"`{parameter}` is needed") : Value(argument.Value));
        return number ? Number(Unconverted(argument.Value)) : Value(Unconverted(argument.Value));
    }

    private static IOperation? Parameter(IInvocationOperation invocation, string parameter)
        => invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter)?.Value;

    private static bool IsExplicit(IInvocationOperation invocation, string parameter)
        => invocation.Arguments.Any(a => a.Parameter?.Name == parameter && a.ArgumentKind != ArgumentKind.DefaultValue);

    private static IOperation? Argument(IInvocationOperation invocation, int ordinal)
        => invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal)?.Value;

    private static IOperation Unconverted(IOperation operation) => operation is IConversionOperation conversion ? Unconverted(conversion.Operand) : operation;

    /// <summary>A tensor, or a parameter (which derives from it).</summary>
    private bool IsTensor(ITypeSymbol? type) => KnownSymbols.IsOrDerives(type, known.Tensor);

    private bool IsLayer(ITypeSymbol? type) => KnownSymbols.IsOrDerives(type, known.TorchModule);

    private string? Refuse(SyntaxNode syntax, string reason) => Refuse(syntax.GetLocation(), syntax.ToString(), reason);

    private string? Refuse(SyntaxToken token, string reason) => Refuse(token.GetLocation(), token.Text, reason);

    private string? Refuse(Location location, string text, string reason)
    {
        var what = $"`{Shorten(text)}` at {Where(location)}: {reason}";
        refusals.Add(Diagnostic.Create(DiagnosticDescriptors.NotExportableToOnnx, location, forward.ContainingType.Name, forward.Name, what));
        refusalTexts.Add(what);
        return null;
    }

    private static string Shorten(string text)
    {
        var line = string.Join(" ", text.Split(['\r', '\n'], System.StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        return line.Length <= 80 ? line : line.Substring(0, 77) + "...";
    }

    private static string Where(SyntaxNode syntax) => Where(syntax.GetLocation());

    /// <summary>File name and 1-based line and column, as compilers print them (no directory: generated text stays the same on every machine).</summary>
    private static string Where(Location location)
    {
        var span = location.GetLineSpan();
        return $"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})";
    }

    private static string Quoted(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    private static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
