using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Strategies;

/// <summary>How the ddp strategy splits LitGen's DataLoader (in-process: the split is a pure function of rank and world size).</summary>
public class DistributedSamplingTests
{
    private static DataLoader<Tensor> Loader(int samples, int batchSize, bool shuffle)
        => new(new TensorDataset(arange(samples, ScalarType.Int64)), batchSize, shuffle, seed: 3);

    private static List<long> Indices(IEnumerable<Tensor> loader) => loader.SelectMany(b => b.data<long>().ToArray()).ToList();

    private static List<List<long>> Shards(DataLoader<Tensor> loader, int world, bool pad, int epoch = 0)
    {
        loader.SetEpoch(epoch);
        return Enumerable.Range(0, world).Select(rank => Indices(loader.Shard(rank, world, pad))).ToList();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rank_r_takes_positions_r_r_plus_N_of_the_single_process_order(bool shuffle)
    {
        var loader = Loader(12, 4, shuffle);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            loader.SetEpoch(epoch);
            var single = Indices(loader);
            var shards = Shards(loader, world: 3, pad: true, epoch);
            for (int rank = 0; rank < 3; rank++)
                Assert.Equal(single.Where((_, position) => position % 3 == rank), shards[rank]);
        }
    }

    [Fact]
    public void Training_shards_are_padded_from_the_start_of_the_order_to_equal_length()
    {
        // 10 samples over 3 processes: 4 each, the 2 missing taken from the start of the order (as DistributedSampler).
        var loader = Loader(10, 3, shuffle: true);
        loader.SetEpoch(1);
        var single = Indices(loader);
        var shards = Shards(loader, world: 3, pad: true, epoch: 1);
        Assert.All(shards, s => Assert.Equal(4, s.Count));
        var padded = single.Concat(single.Take(2)).ToList();
        for (int rank = 0; rank < 3; rank++) Assert.Equal(padded.Where((_, p) => p % 3 == rank), shards[rank]);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), shards.SelectMany(s => s).Distinct().Order());
        Assert.Equal(2, loader.Shard(0, 3).Count);
    }

    [Fact]
    public void Prediction_shards_take_every_sample_exactly_once()
    {
        var shards = Shards(Loader(10, 3, shuffle: false), world: 3, pad: false);
        Assert.Equal([4, 3, 3], shards.Select(s => s.Count));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), shards.SelectMany(s => s).Order());
    }

    [Fact]
    public void A_shard_cannot_be_split_again()
        => Assert.Contains("UseDistributedSampler = false", Assert.Throws<MisconfigurationException>(() => Loader(10, 2, false).Shard(0, 2).Shard(0, 2)).Message);
}
