using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Data;

public sealed record Pair(Tensor Features, Tensor Target);

public sealed record LabeledSample(Tensor Features, long Target);

/// <summary>A dataset written against TorchSharp's own base class, as TorchVision's are.</summary>
public sealed class TorchSharpSquares : utils.data.Dataset<Tensor>
{
    public override long Count => 5;

    public override Tensor GetTensor(long index) => tensor(new float[] { index * index });
}

public class DatasetTests
{
    private static Dataset<T> Of<T>(params T[] samples) => Dataset.FromFunction(samples.Length, i => samples[i]);

    [Fact]
    public void Tuples_of_tensors_and_numbers_collate_into_tensor_tuples()
    {
        var dataset = Of((ones(2), 1L), (zeros(2), 2L), (ones(2), 3L));
        var (x, y) = DataLoader.Create<(Tensor, long), (Tensor, Tensor)>(dataset, batchSize: 2).First();
        Assert.Equal([2L, 2L], x.shape);
        Assert.Equal(ScalarType.Int64, y.dtype);
        Assert.Equal([1L, 2L], y.data<long>().ToArray());
    }

    [Fact]
    public void Records_collate_by_constructor_parameter_name()
    {
        var dataset = Of(new LabeledSample(ones(3), 7), new LabeledSample(zeros(3), 8));
        var batch = DataLoader.Create<LabeledSample, Pair>(dataset, batchSize: 2).Single();
        Assert.Equal([2L, 3L], batch.Features.shape);
        Assert.Equal([7L, 8L], batch.Target.data<long>().ToArray());
    }

    [Fact]
    public void Dictionaries_collate_key_by_key()
    {
        var dataset = Of(
            new Dictionary<string, Tensor> { ["image"] = ones(2, 2), ["mask"] = zeros(2, 2) },
            new Dictionary<string, Tensor> { ["image"] = zeros(2, 2), ["mask"] = ones(2, 2) });
        var batch = DataLoader.Create<Dictionary<string, Tensor>, Dictionary<string, Tensor>>(dataset, batchSize: 2).Single();
        Assert.Equal([2L, 2L, 2L], batch["image"].shape);
        Assert.Equal(4.0f, batch["mask"].sum().item<float>());
    }

    [Fact]
    public void A_sample_type_without_a_default_collation_is_refused_naming_the_fix()
        => Assert.Contains("collate function",
            Assert.Throws<ArgumentException>(() => DataLoader.Create<string, (Tensor, Tensor)>(Of("a", "b"), batchSize: 2)).Message);

    [Fact]
    public void TorchSharp_datasets_plug_in()
    {
        var loader = DataLoader.Create<Tensor, Tensor>(Dataset.FromTorchSharp(new TorchSharpSquares()), batchSize: 5);
        Assert.Equal([0f, 1f, 4f, 9f, 16f], loader.Single().flatten().data<float>().ToArray());
    }

    [Fact]
    public void TensorDataset_is_a_map_style_dataset_too()
    {
        var dataset = new TensorDataset(arange(6).reshape(3, 2), arange(3));
        var sample = dataset.GetItem(1);
        Assert.Equal([2L, 3L], sample[0].data<long>().ToArray());
        Assert.Equal(1L, sample[1].item<long>());
    }

    [Fact]
    public void A_sampler_sets_the_order_and_excludes_shuffle()
    {
        var dataset = new TensorDataset(arange(5));
        var loader = new DataLoader<Tensor>(dataset, batchSize: 5, sampler: new ReversedSampler());
        Assert.Equal([4L, 3L, 2L, 1L, 0L], loader.Single().data<long>().ToArray());
        Assert.Throws<ArgumentException>(() => new DataLoader<Tensor>(dataset, batchSize: 5, shuffle: true, sampler: new ReversedSampler()));
    }

    [Fact]
    public void A_seeded_random_sampler_repeats_its_orders_per_epoch()
    {
        var sampler = new RandomSampler(seed: 4);
        Assert.Equal(sampler.Order(10, epoch: 1), new RandomSampler(seed: 4).Order(10, epoch: 1));
        Assert.NotEqual(sampler.Order(10, epoch: 1), sampler.Order(10, epoch: 2));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), sampler.Order(10, epoch: 3).Order());
    }

    private sealed class ReversedSampler : Sampler
    {
        public override long[] Order(long count, int epoch) => Enumerable.Range(0, (int)count).Reverse().Select(i => (long)i).ToArray();
    }
}
