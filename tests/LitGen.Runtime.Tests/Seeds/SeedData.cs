using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Seeds;

/// <summary>Small, deterministic stand-ins for MNIST: 28×28 "images" whose class is the row holding the brightest pixel band.</summary>
internal static class SeedData
{
    public static TensorDataset Digits(int count, int classes = 10, long seed = 0)
    {
        using var generator = new Generator((ulong)seed);
        var labels = randint(0, classes, [count], generator: generator);
        var images = rand([count, 1, 28, 28], generator: generator) * 0.1;
        for (int i = 0; i < count; i++) images[i, 0, labels[i].item<long>() * 2].add_(1.0);
        return new TensorDataset(images, labels);
    }

    public static DataLoader<(Tensor X, Tensor Y)> Loader(int count, int batchSize = 32, bool shuffle = false, long seed = 0)
        => new(Digits(count, seed: seed), batchSize, shuffle, seed);
}
