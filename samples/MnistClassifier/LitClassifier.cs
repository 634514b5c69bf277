using LitGen;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MnistClassifier;

/// <summary>A small convolutional MNIST classifier: two conv/pool blocks and a two-layer head.</summary>
[LightningModule]
public partial class LitClassifier : LightningModule<(Tensor X, Tensor Y)>
{
    /// <summary>Channels of the first convolution (the second has twice as many).</summary>
    [Hyperparameter] public int Channels { get; }

    /// <summary>Width of the hidden fully connected layer.</summary>
    [Hyperparameter] public int HiddenDim { get; }

    /// <summary>Adam's learning rate.</summary>
    [Hyperparameter] public double LearningRate { get; }

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> head;
    // Metric objects: accumulated over the epoch (and over all processes under --devices N), computed and reset by the trainer.
    private readonly MulticlassAccuracy valAccuracy = new(10);
    private readonly MulticlassAccuracy testAccuracy = new(10);
    private readonly List<Tensor> misclassified = [];

    public LitClassifier(int channels = 16, int hiddenDim = 128, double learningRate = 1e-3)
    {
        Channels = channels;
        HiddenDim = hiddenDim;
        LearningRate = learningRate;
        features = Sequential(
            Conv2d(1, channels, 5, padding: 2), ReLU(), MaxPool2d(2),
            Conv2d(channels, 2 * channels, 5, padding: 2), ReLU(), MaxPool2d(2),
            Flatten());
        head = Sequential(Linear(2 * channels * 7 * 7, hiddenDim), ReLU(), Linear(hiddenDim, 10));
    }

    public Tensor Forward(Tensor images) => head.forward(features.forward(images));

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = functional.cross_entropy(Forward(batch.X), batch.Y);
        Log("train_loss", loss, progBar: true);
        return loss;
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var logits = Forward(batch.X);
        // syncDist: under --devices N the epoch values are those of the whole validation set, not of one process's part.
        Log("val_loss", functional.cross_entropy(logits, batch.Y), progBar: true, syncDist: true);
        valAccuracy.Update(logits, batch.Y);
        Log("val_acc", valAccuracy, progBar: true);
        return null;
    }

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var logits = Forward(batch.X);
        Log("test_loss", functional.cross_entropy(logits, batch.Y), syncDist: true);
        testAccuracy.Update(logits, batch.Y);
        Log("test_acc", testAccuracy);
        var wrong = (logits.argmax(1) != batch.Y).nonzero().flatten();
        foreach (var index in wrong.data<long>().Take(MisclassifiedShown - misclassified.Count))
            misclassified.Add(batch.X[index].detach().clone().DetachFromDisposeScope());
        return null;
    }

    /// <summary>Shows the first misclassified test digits in TensorBoard's images tab, as one grid.</summary>
    public override void OnTestEpochEnd()
    {
        if (misclassified.Count > 0)
        {
            using var scope = NewDisposeScope();
            // Undo the normalization, and lay the digits out 8 to a row.
            var digits = stack(misclassified.ToArray()).mul(0.3081).add(0.1307).clamp(0, 1);
            int rows = (misclassified.Count + 7) / 8;
            var grid = zeros(1, rows * 28, 8 * 28);
            for (int i = 0; i < misclassified.Count; i++)
                grid[.., (i / 8 * 28)..(i / 8 * 28 + 28), (i % 8 * 28)..(i % 8 * 28 + 28)] = digits[i];
            foreach (var logger in Loggers.OfType<TensorBoardLogger>()) logger.Experiment.AddImage("test/misclassified", grid, GlobalStep);
        }
        foreach (var digit in misclassified) digit.Dispose();
        misclassified.Clear();
    }

    private const int MisclassifiedShown = 32;

    public override OptimizerConfig ConfigureOptimizers()
    {
        var optimizer = optim.Adam(parameters(), LearningRate);
        return new OptimizerConfig(optimizer, new LrSchedulerConfig(optim.lr_scheduler.StepLR(optimizer, step_size: 3, gamma: 0.5)));
    }
}
