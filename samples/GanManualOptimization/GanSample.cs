using LitGen;
using TorchSharp;
using static TorchSharp.torch;

namespace GanManualOptimization;

/// <summary>Trains <see cref="Gan"/> on points of a ring and measures how close the generated radii are to it.</summary>
public static class GanSample
{
    public sealed record Result(double MeanRadius, double RadiusStd, long Steps, string LogDir);

    public static Result Run(int epochs, string root)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        manual_seed(7);
        var ring = Enumerable.Range(0, 32).Select(_ => RingPoints(64)).ToList();
        var model = new Gan();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = epochs, DefaultRootDir = root, EnableModelSummary = false });
        trainer.Fit(model, ring);

        using var noGrad = no_grad();
        var radius = model.Sample(2000).norm(1);
        return new Result(radius.mean().item<float>(), radius.std().item<float>(), trainer.GlobalStep, trainer.LogDir);
    }

    /// <summary>Points on a ring of radius 2 with a little noise.</summary>
    private static Tensor RingPoints(int count)
    {
        var angle = rand(count) * (2 * Math.PI);
        return stack([cos(angle), sin(angle)], 1) * 2 + randn(count, 2) * 0.05;
    }
}
