using MnistClassifier;
using OnnxServe;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Samples.Tests;

/// <summary>The serving sample: the MNIST model exported by LitGen, classified by ONNX Runtime without TorchSharp.</summary>
public sealed class OnnxServeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("litgen-serve-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void DigitClassifier_gives_TorchSharps_probabilities_for_the_sample_model_at_batch_1_and_7()
    {
        manual_seed(3);
        var model = new LitClassifier(channels: 4, hiddenDim: 16);
        var path = Path.Combine(root, "model.onnx");
        model.ToOnnx(path, zeros(2, 1, 28, 28));
        var (images, _) = MnistIdx.Read(MnistIdx.BundledData(), "t10k");

        using var classifier = new DigitClassifier(path);
        model.eval();
        foreach (var count in new[] { 1, 7 })
        {
            var bytes = images.AsSpan(0, count * DigitClassifier.Pixels).ToArray();
            var predictions = classifier.Classify(bytes);
            using var scope = NewDisposeScope();
            var x = tensor(bytes, ScalarType.Byte).reshape(count, 1, 28, 28).to(ScalarType.Float32).div(255).sub(0.1307).div(0.3081);
            Tensor expected;
            using (no_grad()) expected = functional.softmax(model.Forward(x), 1);
            for (int i = 0; i < count; i++)
            {
                var row = expected[i].data<float>().ToArray();
                Assert.Equal(row.Select((p, d) => (p, d)).Max().d, predictions[i].Digit);
                Assert.All(row.Zip(predictions[i].Probabilities), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-5, $"{pair.First} vs {pair.Second}"));
            }
        }
    }

    [Fact]
    public void The_serving_sample_references_neither_TorchSharp_nor_LitGen()
    {
        var references = typeof(DigitClassifier).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("Microsoft.ML.OnnxRuntime", references);
        Assert.DoesNotContain(references, name => name.StartsWith("TorchSharp", StringComparison.Ordinal) || name.StartsWith("LitGen", StringComparison.Ordinal));
    }

    [Fact]
    public void A_model_that_does_not_take_digits_is_refused_with_what_it_takes()
    {
        var path = Path.Combine(root, "other.onnx");
        var other = new RegressionPlateau.Regressor();
        other.ToOnnx(path, zeros(4, 1));
        var error = Assert.Throws<InvalidDataException>(() => new DigitClassifier(path));
        Assert.Contains("not [batch, 1, 28, 28] digits", error.Message);
    }

    [Fact]
    public void The_sample_classifies_the_first_count_digits_and_names_an_unknown_option()
    {
        manual_seed(3);
        var path = Path.Combine(root, "model.onnx");
        new LitClassifier(channels: 4, hiddenDim: 16).ToOnnx(path, zeros(1, 1, 28, 28));

        var output = new StringWriter();
        Assert.Equal(0, ServeSample.Run([path, "--count", "10"], output, new StringWriter()));
        Assert.Matches(@"test_acc=\d\.\d{4} \(\d+ of 10 digits\)", output.ToString());

        var error = new StringWriter();
        Assert.Equal(2, ServeSample.Run([path, "--bogus"], new StringWriter(), error));
        Assert.Contains("unknown or incomplete option '--bogus'", error.ToString());
    }

    [Fact]
    public void The_default_model_is_the_newest_export_under_lightning_logs()
    {
        Assert.Null(ServeSample.NewestExport(root));
        string Export(string version, DateTime written)
        {
            var path = Path.Combine(root, "lightning_logs", version, "checkpoints", "model.onnx");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, version);
            File.SetLastWriteTimeUtc(path, written);
            return path;
        }
        Export("version_0", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var newest = Export("version_1", new DateTime(2026, 1, 3, 0, 0, 0, DateTimeKind.Utc));
        Export("version_2", new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal(newest, ServeSample.NewestExport(root));
    }

    [Fact]
    public void Without_a_model_the_sample_says_how_to_make_one()
    {
        var error = new StringWriter();
        Assert.Equal(2, ServeSample.Run([Path.Combine(root, "missing.onnx")], new StringWriter(), error));
        Assert.Contains("missing.onnx' does not exist", error.ToString());
    }
}
