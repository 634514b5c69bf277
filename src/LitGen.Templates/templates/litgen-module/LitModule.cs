using LitGen;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGenNamespace;

/// <summary>A LightningModule: the model, what one step computes and logs, and its optimizer.</summary>
[LightningModule]
public partial class LitModule : LightningModule<(Tensor X, Tensor Y)>
{
    /// <summary>Inputs per sample.</summary>
    [Hyperparameter] public int Features { get; }

    /// <summary>Width of the hidden layer.</summary>
    [Hyperparameter] public int HiddenDim { get; }

    /// <summary>Number of classes.</summary>
    [Hyperparameter] public int Classes { get; }

    /// <summary>Adam's learning rate.</summary>
    [Hyperparameter] public double LearningRate { get; }

    private readonly Module<Tensor, Tensor> net;
    private readonly MulticlassAccuracy valAccuracy;
    private readonly MulticlassAccuracy testAccuracy;

    // The constructor takes every hyperparameter, so LoadFromCheckpoint and LitCli can build the module.
    public LitModule(int features = 16, int hiddenDim = 32, int classes = 2, double learningRate = 1e-3)
    {
        (Features, HiddenDim, Classes, LearningRate) = (features, hiddenDim, classes, learningRate);
        net = Sequential(Linear(features, hiddenDim), ReLU(), Linear(hiddenDim, classes));
        valAccuracy = new MulticlassAccuracy(classes);
        testAccuracy = new MulticlassAccuracy(classes);
    }

    public Tensor Forward(Tensor x) => net.forward(x);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = functional.cross_entropy(Forward(batch.X), batch.Y);
        Log("train_loss", loss, progBar: true);
        return loss;
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var logits = Forward(batch.X);
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
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), LearningRate);
}
