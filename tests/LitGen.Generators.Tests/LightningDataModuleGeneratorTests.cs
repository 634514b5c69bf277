using Microsoft.CodeAnalysis;

namespace LitGen.Generators.Tests;

public class LightningDataModuleGeneratorTests
{
    private const string MnistData = """
        using LitGen;
        using static TorchSharp.torch;

        namespace Demo;

        [LightningDataModule]
        public partial class MnistData : LightningDataModule<(Tensor X, Tensor Y)>
        {
            /// <summary>The folder with the MNIST files.</summary>
            [Hyperparameter] public string DataDir { get; }
            [Hyperparameter] public int BatchSize { get; }

            public MnistData(string dataDir = "data", int batchSize = 64)
            {
                DataDir = dataDir;
                BatchSize = batchSize;
            }
        }
        """;

    [Fact]
    public void Generates_the_approved_code_for_a_datamodule()
    {
        var (result, output) = GeneratorHarness.RunWith(new LightningDataModuleGenerator(), MnistData);

        Assert.Empty(result.Diagnostics);
        var generated = Assert.Single(result.GeneratedTrees);
        Assert.EndsWith("Demo.MnistData.LitGen.g.cs", generated.FilePath);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        GeneratorHarness.Verify(generated.ToString(), "MnistData");
    }

    [Fact]
    public void A_datamodule_needing_other_constructor_arguments_gets_its_hyperparameters_but_no_LitCli_entry()
    {
        var (result, output) = GeneratorHarness.RunWith(new LightningDataModuleGenerator(), """
            using LitGen;
            using static TorchSharp.torch;
            [LightningDataModule]
            public partial class Files : LightningDataModule<Tensor>
            {
                [Hyperparameter] public int BatchSize { get; }
                public Files(System.IO.Stream source, int batchSize = 8) { BatchSize = batchSize; }
            }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var generated = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("public sealed record HyperParameters", generated);
        Assert.DoesNotContain("ILitCliDataModule", generated);
    }

    [Theory]
    [InlineData("public class D : LightningDataModule<Tensor> { }", "is not partial")]
    [InlineData("public partial class D<T> : LightningDataModule<T> { }", "is generic")]
    [InlineData("public partial class D { }", "does not derive from LitGen.LightningDataModule<TBatch>")]
    public void Reports_LITG0010_for_a_class_it_cannot_extend(string declaration, string reason)
    {
        var source = "using LitGen;\nusing static TorchSharp.torch;\n[LightningDataModule]\n" + declaration;
        var (result, _) = GeneratorHarness.RunWith(new LightningDataModuleGenerator(), source);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("LITG0010", diagnostic.Id);
        Assert.Equal("D", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Contains(reason, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void Hyperparameters_without_a_constructor_taking_them_are_reported()
    {
        var (result, _) = GeneratorHarness.RunWith(new LightningDataModuleGenerator(), """
            using LitGen;
            using static TorchSharp.torch;
            [LightningDataModule]
            public partial class D : LightningDataModule<Tensor>
            {
                [Hyperparameter] public int BatchSize { get; }
            }
            """);
        Assert.Equal("LITG0003", Assert.Single(result.Diagnostics).Id);
    }
}
