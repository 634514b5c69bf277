using LitGen;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GanManualOptimization;

// Lightning's SimpleGAN (docs/source-pytorch/model/manual_optimization.rst), which this sample follows:
//
//   class SimpleGAN(LightningModule):
//       def __init__(self):
//           super().__init__()
//           self.G = Generator()
//           self.D = Discriminator()
//           self.automatic_optimization = False
//
//       def training_step(self, batch, batch_idx):
//           g_opt, d_opt = self.optimizers()
//           X, _ = batch
//           batch_size = X.shape[0]
//           real_label = torch.ones((batch_size, 1), device=self.device)
//           fake_label = torch.zeros((batch_size, 1), device=self.device)
//           g_X = self.sample_G(batch_size)
//
//           d_x = self.D(X)
//           errD_real = self.criterion(d_x, real_label)
//           d_z = self.D(g_X.detach())
//           errD_fake = self.criterion(d_z, fake_label)
//           errD = errD_real + errD_fake
//           d_opt.zero_grad()
//           self.manual_backward(errD)
//           d_opt.step()
//
//           d_z = self.D(g_X)
//           errG = self.criterion(d_z, real_label)
//           g_opt.zero_grad()
//           self.manual_backward(errG)
//           g_opt.step()
//
//           self.log_dict({"g_loss": errG, "d_loss": errD}, prog_bar=True)
//
//       def configure_optimizers(self):
//           g_opt = torch.optim.Adam(self.G.parameters(), lr=1e-5)
//           d_opt = torch.optim.Adam(self.D.parameters(), lr=1e-5)
//           return g_opt, d_opt

/// <summary>
/// A GAN on 2-D points: the generator maps Gaussian noise onto a ring of radius 2. Two optimizers, so it uses
/// manual optimization: each step updates the discriminator, then the generator (SimpleGAN above, in C#).
/// </summary>
[LightningModule]
public partial class Gan : LightningModule<Tensor>
{
    /// <summary>Size of the generator's noise input.</summary>
    [Hyperparameter] public int LatentDim { get; }

    /// <summary>Adam's learning rate for both networks.</summary>
    [Hyperparameter] public double LearningRate { get; }

    private readonly Module<Tensor, Tensor> generator;
    private readonly Module<Tensor, Tensor> discriminator;

    public Gan(int latentDim = 8, double learningRate = 2e-3)
    {
        LatentDim = latentDim;
        LearningRate = learningRate;
        AutomaticOptimization = false;
        generator = Sequential(Linear(latentDim, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 2));
        discriminator = Sequential(Linear(2, 64), LeakyReLU(0.2), Linear(64, 64), LeakyReLU(0.2), Linear(64, 1));
    }

    /// <summary>Draws <paramref name="count"/> generated points.</summary>
    public Tensor Sample(long count) => generator.forward(randn(count, LatentDim, device: Device));

    public override Tensor? TrainingStep(Tensor real, int batchIdx)
    {
        var optimizers = Optimizers();
        var (generatorOptimizer, discriminatorOptimizer) = (optimizers[0], optimizers[1]);
        long n = real.shape[0];

        ToggleOptimizer(discriminatorOptimizer);
        var fake = Sample(n).detach();
        var discriminatorLoss = functional.binary_cross_entropy_with_logits(discriminator.forward(real), ones(n, 1, device: Device))
            + functional.binary_cross_entropy_with_logits(discriminator.forward(fake), zeros(n, 1, device: Device));
        discriminatorOptimizer.zero_grad();
        ManualBackward(discriminatorLoss);
        discriminatorOptimizer.step();
        UntoggleOptimizer(discriminatorOptimizer);

        ToggleOptimizer(generatorOptimizer);
        var generatorLoss = functional.binary_cross_entropy_with_logits(discriminator.forward(Sample(n)), ones(n, 1, device: Device));
        generatorOptimizer.zero_grad();
        ManualBackward(generatorLoss);
        generatorOptimizer.step();
        UntoggleOptimizer(generatorOptimizer);

        Log("d_loss", discriminatorLoss, progBar: true);
        Log("g_loss", generatorLoss, progBar: true);
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => new[]
    {
        (optim.Optimizer)optim.Adam(generator.parameters(), LearningRate, beta1: 0.5),
        optim.Adam(discriminator.parameters(), LearningRate, beta1: 0.5),
    };
}
