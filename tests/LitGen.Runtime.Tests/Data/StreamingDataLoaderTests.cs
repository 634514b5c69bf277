using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Data;

/// <summary>A stream of (x, 2x + 1) pairs that can break after some samples.</summary>
public sealed class LineStream(int count, int? breakAfter = null) : IterableDataset<(Tensor X, Tensor Y)>
{
    public override IEnumerable<(Tensor X, Tensor Y)> GetSamples()
    {
        for (int i = 0; i < count; i++)
        {
            if (i == breakAfter) throw new IOException("the connection was reset");
            var x = tensor(new[] { i / (float)count });
            yield return (x, x * 2 + 1);
        }
    }
}

public class StreamingDataLoaderTests
{
    private static List<float[]> Read(StreamingDataLoader<(Tensor, Tensor)> loader)
        => loader.Select(b =>
        {
            using var x = b.Item1;
            using var y = b.Item2;
            return x.flatten().data<float>().ToArray();
        }).ToList();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Consecutive_samples_are_batched_in_stream_order(int workers)
    {
        var batches = Read(DataLoader.Create<(Tensor X, Tensor Y), (Tensor, Tensor)>(new LineStream(10), batchSize: 4, numWorkers: workers));
        Assert.Equal([4, 4, 2], batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i / 10f), batches.SelectMany(b => b));
        Assert.Equal(2, Read(DataLoader.Create<(Tensor X, Tensor Y), (Tensor, Tensor)>(new LineStream(10), 4, dropLast: true, numWorkers: workers)).Count);
    }

    [Fact]
    public void A_failing_stream_fails_the_reader_with_its_error()
    {
        var loader = DataLoader.Create<(Tensor X, Tensor Y), (Tensor, Tensor)>(new LineStream(10, breakAfter: 6), 4, numWorkers: 1);
        Assert.Equal("the connection was reset", Assert.Throws<IOException>(() => Read(loader)).Message);
    }

    [Fact]
    public void More_than_one_reader_is_refused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => DataLoader.Create<(Tensor X, Tensor Y), (Tensor, Tensor)>(new LineStream(10), 4, numWorkers: 2));

    [Fact]
    public void A_trainer_fits_on_a_stream_read_ahead()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Tensor.TotalCount;
        trainer.Fit(new RegressionModule(), DataLoader.Create<(Tensor X, Tensor Y), (Tensor, Tensor)>(new LineStream(40), batchSize: 8, numWorkers: 1));
        Assert.Equal(10, trainer.GlobalStep);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The module's parameters and Adam's state are all that remain.
        Assert.True(Tensor.TotalCount - before < 40, $"{Tensor.TotalCount - before} tensors left");
    }
}
