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
        Log("val_acc", Accuracy(logits, batch.Y), progBar: true, syncDist: true);
        return null;
    }

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var logits = Forward(batch.X);
        Log("test_loss", functional.cross_entropy(logits, batch.Y), syncDist: true);
        Log("test_acc", Accuracy(logits, batch.Y), syncDist: true);
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers()
    {
        var optimizer = optim.Adam(parameters(), LearningRate);
        return new OptimizerConfig(optimizer, new LrSchedulerConfig(optim.lr_scheduler.StepLR(optimizer, step_size: 3, gamma: 0.5)));
    }

    private static Tensor Accuracy(Tensor logits, Tensor labels) => (logits.argmax(1) == labels).to(ScalarType.Float32).mean();
}
