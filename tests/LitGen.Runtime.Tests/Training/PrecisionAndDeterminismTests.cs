using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

public class PrecisionAndDeterminismTests
{
    [Theory]
    [InlineData("64-true", ScalarType.Float64)]
    [InlineData("bf16-true", ScalarType.BFloat16)]
    [InlineData("16-true", ScalarType.Float16)]
    public void True_precisions_train_in_that_dtype(string precision, ScalarType dtype)
    {
        using var dir = new TempDir();
        var model = new RegressionModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, Precision = precision, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false });
        trainer.Fit(model, TestData.Line(), TestData.Line(batches: 1));
        Assert.All(model.parameters(), p => Assert.Equal(dtype, p.dtype));
        Assert.Equal(precision, model.Precision);
        Assert.True(double.IsFinite(trainer.CallbackMetrics["val_loss"]));
        Assert.Equal(8, trainer.GlobalStep);
    }

    private static Dictionary<string, Tensor> Run(long seed)
    {
        using var dir = new TempDir();
        manual_seed(100);
        var model = new RegressionModule();
        var x = linspace(-1, 1, 64).reshape(-1, 1);
        var loader = new DataLoader<(Tensor X, Tensor Y)>(new TensorDataset(x, x * 2 + 1), batchSize: 8, shuffle: true, seed: seed);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, Seed = seed, Deterministic = true, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false });
        trainer.Fit(model, loader);
        return model.state_dict();
    }

    [Fact]
    public void Deterministic_runs_with_the_same_seed_give_bit_identical_weights()
    {
        var first = Run(seed: 3);
        var second = Run(seed: 3);
        var other = Run(seed: 4);
        foreach (var key in first.Keys) Assert.True((first[key] == second[key]).all().item<bool>(), key);
        Assert.Contains(first.Keys, key => !(first[key] == other[key]).all().item<bool>());
    }

    [Fact]
    public void Seeded_shuffle_changes_order_every_epoch_and_repeats_across_loaders()
    {
        var data = arange(10).reshape(-1, 1);
        var loader = new DataLoader<Tensor>(new TensorDataset(data), batchSize: 10, shuffle: true, seed: 1);
        var epoch0 = loader.First().flatten().data<long>().ToArray();
        var epoch1 = loader.First().flatten().data<long>().ToArray();
        var again = new DataLoader<Tensor>(new TensorDataset(data), batchSize: 10, shuffle: true, seed: 1).First().flatten().data<long>().ToArray();
        Assert.NotEqual(epoch0, epoch1);
        Assert.Equal(epoch0, again);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), epoch0.Order());
    }

    [Fact]
    public void DataLoader_batches_and_drops_the_last_partial_batch()
    {
        var dataset = new TensorDataset(arange(10).reshape(-1, 1), arange(10));
        Assert.Equal([4L, 4L, 2L], new DataLoader<(Tensor, Tensor)>(dataset, batchSize: 4).Select(b => b.Item1.shape[0]));
        var dropping = new DataLoader<(Tensor, Tensor)>(dataset, batchSize: 4, dropLast: true);
        Assert.Equal(2, dropping.Count);
        Assert.Equal([4L, 4L], dropping.Select(b => b.Item2.shape[0]));
    }
}
