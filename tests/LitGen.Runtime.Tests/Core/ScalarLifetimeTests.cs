using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using LitGen.Tests.Shared;
using TorchSharp;

namespace LitGen.Runtime.Tests.Core;

/// <summary>
/// TorchSharp 0.107 passes a <see cref="torch.Scalar"/> to libtorch as its handle and does not keep the object alive
/// for the call, nor does a dispose scope track it. A temporary Scalar (<c>tensor / 4</c>, <c>x.ToScalar()</c> inline)
/// can therefore be finalized on the GC's finalizer thread while libtorch reads it: the op fails with
/// "Expected false to be true … toDouble" (the crash after 17,624 steps of issue 22). LitGen's runtime holds every Scalar
/// it passes in a <c>using</c> variable (rooted until the call returns).
/// </summary>
public class ScalarLifetimeTests
{
    [Fact]
    public void No_temporary_Scalar_is_passed_to_TorchSharp_anywhere_in_the_runtime()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root(), "src", "LitGen.Runtime"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Concat(Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root(), "src", "Shared"), "*.cs"))
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), new CSharpParseOptions(LanguageVersion.Preview), path: f))
            .ToList();
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll").Where(f => !Path.GetFileName(f).StartsWith("LitGen.", StringComparison.Ordinal)))
            .GroupBy(Path.GetFileName).Select(g => MetadataReference.CreateFromFile(g.First()));
        var compilation = CSharpCompilation.Create("Runtime", sources, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        var scalar = compilation.GetTypeByMetadataName("TorchSharp.Scalar") ?? throw new InvalidOperationException("TorchSharp.Scalar not found");

        var temporaries = new List<string>();
        foreach (var tree in sources)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var expression in tree.GetRoot().DescendantNodes().OfType<ExpressionSyntax>())
            {
                // Tensor's operators that take a number (tensor / 4) make the Scalar inside TorchSharp, out of reach.
                if (expression is BinaryExpressionSyntax && model.GetSymbolInfo(expression).Symbol is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator } op
                    && op.ContainingType.ToDisplayString() == "TorchSharp.torch.Tensor" && op.Parameters.Any(p => p.Type.SpecialType != SpecialType.None))
                    temporaries.Add($"{Path.GetRelativePath(RepositoryPaths.Root(), tree.FilePath)}:{expression.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: {expression}");
                var converted = model.GetTypeInfo(expression).ConvertedType;
                if (!SymbolEqualityComparer.Default.Equals(converted, scalar)) continue;
                var conversion = model.GetConversion(expression);
                bool implicitTemporary = conversion.IsUserDefined && conversion.IsImplicit;
                bool inlineToScalar = expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "ToScalar" } }
                                      && expression.Parent is not EqualsValueClauseSyntax { Parent.Parent.Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: not 0 } };
                if (implicitTemporary || inlineToScalar)
                    temporaries.Add($"{Path.GetRelativePath(RepositoryPaths.Root(), tree.FilePath)}:{expression.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: {expression}");
            }
        }
        Assert.True(temporaries.Count == 0, "Scalars the finalizer may free during the call:\n" + string.Join("\n", temporaries));
    }
}
