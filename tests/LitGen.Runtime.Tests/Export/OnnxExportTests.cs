using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Export;

/// <summary>
/// ToOnnx checked by ONNX Runtime: what it computes from the written file equals TorchSharp's eval output, for batch
/// sizes other than the export sample's (the batch axis is dynamic).
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("litgen-onnx-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    public static TheoryData<string> Models => ["cnn", "regressor", "mlp", "residual", "sequence", "blocks", "blocks-plain"];

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntime_computes_what_TorchSharp_computes_in_eval_at_batch_1_and_7(string name)
    {
        manual_seed(7);
        var (module, forward, input) = Model(name);
        var path = Path.Combine(directory, name + ".onnx");
        module.ToOnnx(path, input(3));

        using var session = new InferenceSession(path);
        foreach (var batch in new[] { 1, 7 })
        {
            var x = input(batch);
            module.eval();
            float[] expected;
            using (no_grad()) expected = forward(x).data<float>().ToArray();
            var actual = Run(session, x);
            Assert.Equal(expected.Length, actual.Length);
            var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst <= 1e-5, $"{name}, batch {batch}: ONNX Runtime differs from TorchSharp by {worst}");
        }
    }

    [Fact]
    public void The_graph_has_opset_17_a_dynamic_batch_named_inputs_and_weights_as_initializers()
    {
        var module = new ExportCnn();
        var path = Path.Combine(directory, "cnn.onnx");
        module.ToOnnx(path, randn(2, 1, 28, 28));

        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Equal(17, model.OpsetImport.Single(o => o.Domain == "").Version);
        var input = Assert.Single(model.Graph.Input);
        Assert.Equal("images", input.Name);
        Assert.Equal(["batch", "1", "28", "28"], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue.ToString()));
        var output = Assert.Single(model.Graph.Output);
        Assert.Equal("output", output.Name);
        Assert.Equal(["batch", "10"], output.Type.TensorType.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue.ToString()));
        var initializers = model.Graph.Initializer.ToDictionary(i => i.Name);
        foreach (var (key, parameter) in module.named_parameters())
        {
            var stored = key.EndsWith(".weight") && initializers.ContainsKey(key + ".T") ? key + ".T" : key;
            Assert.True(initializers.ContainsKey(stored), $"no initializer for {key}");
            Assert.Equal(parameter.numel() * 4, initializers[stored].RawData.Length);
        }
        Assert.Contains("features.1.running_mean", initializers.Keys);
    }

    [Fact]
    public void A_parameter_Forward_uses_twice_is_stored_once()
    {
        var path = Path.Combine(directory, "residual.onnx");
        new ExportResidual().ToOnnx(path, randn(2, 12));
        var graph = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
        Assert.Single(graph.Initializer, i => i.Name.StartsWith("mixing", StringComparison.Ordinal));
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "MatMul" && n.Input.Contains("mixing")));
    }

    [Fact]
    public void Export_runs_in_eval_and_leaves_the_module_in_its_mode()
    {
        var module = new ExportMlp();
        module.train();
        module.ToOnnx(Path.Combine(directory, "mlp.onnx"), randn(4, 20));
        Assert.True(module.training);
        module.eval();
        module.ToOnnx(Path.Combine(directory, "mlp.onnx"), randn(4, 20));
        Assert.False(module.training);
    }

    [Fact]
    public void Layers_reached_through_a_loop_name_their_weights_as_the_state_dict_does()
    {
        var module = new ExportBlocks();
        var path = Path.Combine(directory, "blocks.onnx");
        module.ToOnnx(path, randn(2, 6));

        var initializers = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer.Select(i => i.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "blocks.0.weight.T", "blocks.0.bias", "blocks.1.0.weight.T", "blocks.2.bias", "norm.weight" }, initializers);
    }

    [Fact]
    public void The_example_input_array_is_the_default_sample_and_a_missing_one_is_named()
    {
        var module = new ExportRegressor();
        var path = Path.Combine(directory, "regressor.onnx");
        var missing = Assert.Throws<MisconfigurationException>(() => module.ToOnnx(path));
        Assert.Contains("ExampleInputArray", missing.Message);
        Assert.False(File.Exists(path));

        module.ExampleInputArray = randn(5, 1);
        module.ToOnnx(path);
        using var session = new InferenceSession(path);
        Assert.Equal("x", session.InputMetadata.Keys.Single());

        // The same example gives the model summary its sizes, through the Forward the generator found.
        // (TorchSharp runs the forward hooks that record sizes only for layers invoked through call, so net's are "?").
        Assert.Matches(@"\| Name \| Type +\| Params +\| In sizes \| Out sizes\n-+\n0 +\| net +\| Sequential \| 97 ", ModelSummary.Summarize(module).ReplaceLineEndings("\n"));
        module.ExampleInputArray = new[] { randn(5, 1), randn(5, 1) };
        var twice = Assert.Throws<MisconfigurationException>(() => ModelSummary.Summarize(module));
        Assert.Equal("ExportRegressor.ExampleInputArray must be a tensor for Forward(x).", twice.Message);
    }

    [Fact]
    public void Data_dependent_control_flow_is_refused_with_its_location()
    {
        var error = Assert.Throws<NotSupportedException>(() => new BranchingModule().ToOnnx(Path.Combine(directory, "x.onnx"), randn(2, 4)));
        Assert.Contains("BranchingModule.Forward cannot be exported to ONNX", error.Message);
        Assert.Matches(@"`x\.sum\(\)\.item<float>\(\)` at ExportModules\.cs\(\d+,13\): data-dependent control flow", error.Message);
        Assert.Empty(Directory.GetFiles(directory));
    }

    [Fact]
    public void A_layer_without_translation_in_Forward_is_refused_with_its_location()
    {
        var error = Assert.Throws<NotSupportedException>(() => new RecurrentModule().ToOnnx(Path.Combine(directory, "x.onnx"), randn(2, 4)));
        Assert.Matches(@"`gru.forward\(x\)` at ExportModules\.cs\(\d+,\d+\): the layer `gru` is a GRU, which LitGen does not translate", error.Message);
    }

    [Fact]
    public void A_layer_without_translation_inside_a_Sequential_is_refused_with_its_path_and_call_site()
    {
        var path = Path.Combine(directory, "x.onnx");
        File.WriteAllText(path, "an earlier export");
        var error = Assert.Throws<NotSupportedException>(() => new UnsupportedLayerModule().ToOnnx(path, randn(2, 4)));
        Assert.Matches(@"^net\.1 \(ELU\), called at ExportModules\.cs\(\d+,\d+\), cannot be exported to ONNX: LitGen does not translate this TorchSharp layer", error.Message);
        Assert.Equal("an earlier export", File.ReadAllText(path));

        var batchStatistics = Assert.Throws<NotSupportedException>(() => new BatchStatisticsModule().ToOnnx(path, randn(2, 4)));
        Assert.Matches(@"^net\.1 \(BatchNorm1d\), called at ExportModules\.cs\(\d+,\d+\), cannot be exported to ONNX: it keeps no running statistics", batchStatistics.Message);
    }

    [Fact]
    public void A_sample_that_does_not_fit_names_the_layer_and_its_input()
    {
        var path = Path.Combine(directory, "cnn.onnx");
        var error = Assert.Throws<ArgumentException>(() => new ExportCnn().ToOnnx(path, randn(2, 784)));
        Assert.StartsWith("ToOnnx's input sample does not fit features.0 (Conv2d), called at ExportModules.cs(", error.Message);
        Assert.Contains("its input there is [2, 784] Float32", error.Message);
        var linear = Assert.Throws<ArgumentException>(() => new ExportRegressor().ToOnnx(path, randn(2, 3)));
        Assert.StartsWith("ToOnnx's input sample does not fit net.0 (Linear)", linear.Message);

        var extra = Assert.Throws<MisconfigurationException>(() => new ExportRegressor().ToOnnx(path, new[] { randn(2, 1), randn(2, 1) }));
        Assert.Contains("Forward takes 1 tensor(s) but the input sample has 2", extra.Message);
        var missing = Assert.Throws<MisconfigurationException>(() => new ExportRegressor().ToOnnx(path, Array.Empty<Tensor>()));
        Assert.Contains("takes more tensors than the input sample has (0)", missing.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_layer_not_built_yet_is_named_with_when_to_export()
    {
        var module = new LateLayerModule();
        var error = Assert.Throws<MisconfigurationException>(() => module.ToOnnx(Path.Combine(directory, "late.onnx"), randn(2, 4)));
        Assert.Matches(@"^linear, called at ExportModules\.cs\(\d+,\d+\), is null: ToOnnx exports the layers the module has", error.Message);

        module.ConfigureModel();
        module.ToOnnx(Path.Combine(directory, "late.onnx"), randn(2, 4));
        using var session = new InferenceSession(Path.Combine(directory, "late.onnx"));
        Assert.Equal("x", session.InputMetadata.Keys.Single());
    }

    [Fact]
    public void A_module_without_Forward_is_refused_with_what_to_add()
    {
        var error = Assert.Throws<NotSupportedException>(() => new NoForwardModule().ToOnnx(Path.Combine(directory, "x.onnx"), randn(2, 4)));
        Assert.Contains("has no Forward for ONNX export: add a method `public Tensor Forward(Tensor x)`", error.Message);
    }

    private static (LightningModule Module, Func<Tensor, Tensor> Forward, Func<int, Tensor> Input) Model(string name)
    {
        switch (name)
        {
            case "cnn":
                var cnn = new ExportCnn();
                Warm(cnn, () => cnn.Forward(randn(16, 1, 28, 28)));
                return (cnn, cnn.Forward, batch => randn(batch, 1, 28, 28));
            case "regressor":
                var regressor = new ExportRegressor();
                return (regressor, regressor.Forward, batch => randn(batch, 1));
            case "mlp":
                var mlp = new ExportMlp();
                Warm(mlp, () => mlp.Forward(randn(16, 20) * 3 + 1));
                return (mlp, mlp.Forward, batch => randn(batch, 20));
            case "blocks" or "blocks-plain":
                var blocks = name == "blocks" ? new ExportBlocks() : new ExportBlocks(normalize: false, repeats: 0);
                return (blocks, blocks.Forward, batch => randn(batch, 6));
            case "residual":
                var residual = new ExportResidual();
                return (residual, residual.Forward, batch => randn(batch, 12));
            default:
                var sequence = new ExportSequence();
                return (sequence, sequence.Forward, batch => randint(0, 50, [batch, 6], dtype: ScalarType.Int64));
        }
    }

    /// <summary>Moves batch norm's running statistics away from 0 and 1, so that export reading them (not batch statistics) matters.</summary>
    private static void Warm(LightningModule module, Func<Tensor> forward)
    {
        module.train();
        using (no_grad())
            for (int i = 0; i < 5; i++) forward();
    }

    private static float[] Run(InferenceSession session, Tensor x)
    {
        var name = session.InputMetadata.Keys.Single();
        var dims = x.shape.Select(d => (int)d).ToArray();
        var value = x.dtype == ScalarType.Int64
            ? NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(x.data<long>().ToArray(), dims))
            : NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(x.data<float>().ToArray(), dims));
        using var results = session.Run([value]);
        return results.Single().AsEnumerable<float>().ToArray();
    }
}
