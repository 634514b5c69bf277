using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Runtime.Tests.Export;

// The models ONNX export is proven on. Each is a LightningModule whose Forward the generator reads; none trains here.

/// <summary>
/// The MNIST sample's CNN, with batch norm, padded pooling with strides, an even kernel under "same" padding (padded one
/// more at the end) and log-probabilities added.
/// </summary>
[LightningModule]
public partial class ExportCnn : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Sequential features = Sequential(
        Conv2d(1, 4, 5, padding: 2), BatchNorm2d(4), ReLU(), MaxPool2d(3, stride: 2, padding: 1),
        Conv2d(4, 8, 4, padding: Padding.Same), ReLU(), AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false),
        Flatten());
    private readonly Sequential head = Sequential(Linear(8 * 7 * 7, 16), ReLU(), Linear(16, 10), LogSoftmax(1));

    public Tensor Forward(Tensor images) => head.forward(features.forward(images));
}

/// <summary>The README's regressor, with the Forward its steps call.</summary>
[LightningModule]
public partial class ExportRegressor : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Module<Tensor, Tensor> net = Sequential(Linear(1, 32), Tanh(), Linear(32, 1));

    public Tensor Forward(Tensor x) => net.forward(x);
}

/// <summary>An MLP with batch norm (without its affine part), a linear layer without bias and dropout; softmax as a layer, then log_softmax as a function.</summary>
[LightningModule]
public partial class ExportMlp : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Sequential net = Sequential(
        Linear(20, 32), BatchNorm1d(32, affine: false), ReLU(), Dropout(0.5),
        Linear(32, 32, hasBias: false), LeakyReLU(0.2), Dropout(0.3), Linear(32, 4), Softmax(1));

    public Tensor Forward(Tensor x) => functional.log_softmax(net.forward(x), 1);
}

/// <summary>A residual block with the functional operations: addition, concatenation, matmul with a parameter (used twice), view.</summary>
[LightningModule]
public partial class ExportResidual : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear input = Linear(12, 16);
    private readonly Sequential block = Sequential(Linear(16, 16), GELU(), Linear(16, 16));
    private readonly Parameter mixing = Parameter(randn(32, 8));
    private readonly Linear head = Linear(8, 3);

    public Tensor Forward(Tensor x)
    {
        var h = functional.relu(input.forward(x));
        var residual = block.forward(h) + h;
        var both = torch.cat(new[] { functional.gelu(residual), residual.sigmoid() * 2 - 1 }, 1);
        var mixed = (both.matmul(mixing) + both.matmul(mixing) * 0.5).view(x.shape[0], -1);
        return head.forward(mixed.tanh()).softmax(1);
    }
}

/// <summary>Tokens through an embedding, layer norm and one-dimensional convolutions (dilated; strided and grouped).</summary>
[LightningModule]
public partial class ExportSequence : LightningModule<(Tensor X, Tensor Y)>
{
    private const int Tokens = 6;
    private readonly Embedding embedding = Embedding(50, 8);
    private readonly LayerNorm norm = LayerNorm(8);
    private readonly Sequential signal = Sequential(
        Unflatten(1, [1, Tokens * 8]), Conv1d(1, 4, 5, padding: 4, dilation: 2), Conv1d(4, 4, 3, stride: 2, padding: 1, groups: 2),
        LeakyReLU(), Sigmoid(), MaxPool1d(2), AvgPool1d(3, stride: 2, padding: 1), Flatten());
    private readonly Linear head = Linear(4 * 6, 4);

    public Tensor Forward(Tensor tokens)
    {
        var embedded = norm.forward(embedding.forward(tokens));
        return functional.gelu(head.forward(signal.forward(embedded.flatten(1))) * 4, TorchSharp.Modules.GELU.Approximate.tanh).sigmoid();
    }
}

/// <summary>Control flow that the configuration decides: a loop over a ModuleList, a branch on a hyperparameter, a counted loop.</summary>
[LightningModule]
public partial class ExportBlocks : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public bool Normalize { get; }
    [Hyperparameter] public int Repeats { get; }
    private readonly ModuleList<Module<Tensor, Tensor>> blocks = ModuleList<Module<Tensor, Tensor>>(Linear(6, 6), Sequential(Linear(6, 6), Tanh()), Linear(6, 6));
    private readonly LayerNorm norm = LayerNorm(6);

    public ExportBlocks(bool normalize = true, int repeats = 2) => (Normalize, Repeats) = (normalize, repeats);

    public Tensor Forward(Tensor x)
    {
        foreach (var block in blocks)
            x = block.forward(x) + x;
        if (Normalize) x = norm.forward(x);
        else x = x * 0.5;
        for (int i = 0; i < Repeats; i++) x = functional.relu(x) - 0.1;
        return Repeats > 1 ? x.sigmoid() : x.tanh();
    }
}

/// <summary>A Forward that branches on its input's values: refused.</summary>
[LightningModule]
public partial class BranchingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear linear = Linear(4, 4);

    public Tensor Forward(Tensor x)
    {
        if (x.sum().item<float>() > 0) return linear.forward(x);
        return x;
    }
}

/// <summary>A Forward that calls a recurrent layer: refused.</summary>
[LightningModule]
public partial class RecurrentModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly GRU gru = GRU(4, 4);

    public Tensor Forward(Tensor x) => gru.forward(x).Item1;
}

/// <summary>A Sequential holding a layer export does not translate: refused when exporting.</summary>
[LightningModule]
public partial class UnsupportedLayerModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Sequential net = Sequential(Linear(4, 4), ELU(), Linear(4, 2));

    public Tensor Forward(Tensor x) => net.forward(x);
}

/// <summary>Batch norm that normalizes by each batch's statistics even in eval: refused when exporting.</summary>
[LightningModule]
public partial class BatchStatisticsModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Sequential net = Sequential(Linear(4, 4), BatchNorm1d(4, track_running_stats: false));

    public Tensor Forward(Tensor x) => net.forward(x);
}

/// <summary>A layer ConfigureModel builds, exported before it ran.</summary>
[LightningModule]
public partial class LateLayerModule : LightningModule<(Tensor X, Tensor Y)>
{
    private Linear? linear;

    public override void ConfigureModel() => linear ??= Linear(4, 1);

    public Tensor Forward(Tensor x) => linear!.forward(x);
}

/// <summary>No Forward at all.</summary>
[LightningModule]
public partial class NoForwardModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear linear = Linear(4, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => functional.mse_loss(linear.forward(batch.X), batch.Y);
}
