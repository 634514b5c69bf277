using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

// The learning-rate range test of LearningRateFinder, run with the module's loop driver before training starts.
public sealed partial class Trainer
{
    private void RunLearningRateFinder<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver, IEnumerable<TBatch> trainLoader, LearningRateFinder finder)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        finder.Validate();
        if (!model.AutomaticOptimization || LightningOptimizers.Length != 1)
            throw new MisconfigurationException("LearningRateFinder needs automatic optimization with one optimizer.");
        if (finder.UpdateLearningRate && SchedulerConfigs.Length > 0)
            throw new MisconfigurationException(
                "LearningRateFinder cannot update the learning rate: ConfigureOptimizers also built schedulers with the original rate. " +
                "Set UpdateLearningRate = false, read SuggestedLearningRate, and construct the module with it.");

        var optimizer = LightningOptimizers[0].Optimizer;
        var weights = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        var optimizerState = SerializeOptimizer(optimizer);
        using var rngState = random.get_rng_state();

        var learningRates = new List<double>();
        var losses = new List<double>();
        using (var metrics = new MetricStore())
        {
            double average = 0, best = double.PositiveInfinity;
            const double beta = 0.98;
            model.train();
            int step = 0;
            while (step < finder.NumTrainingSteps)
            {
                int before = step;
                using var batches = new BatchIterator<TBatch>(trainLoader, CountOf(trainLoader));
                while (step < finder.NumTrainingSteps)
                {
                    using var scope = NewDisposeScope();
                    if (!batches.MoveNext(scope)) break;
                    double lr = finder.LearningRateAt(step);
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                    var batch = PrepareBatch(driver, batches.Current, 0);
                    metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
                    (model.ActiveMetrics, model.LogContext) = (metrics, LogContext.TrainingStep);
                    var loss = driver.TrainingStep(batch, batches.Index);
                    (model.ActiveMetrics, model.LogContext) = (null, LogContext.None);
                    metrics.EndStep();
                    if (loss is null) continue;
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();

                    // Lightning's _LRCallback: an exponentially weighted, bias-corrected loss.
                    average = beta * average + (1 - beta) * loss.item<float>();
                    double smoothed = average / (1 - Math.Pow(beta, step + 1));
                    learningRates.Add(lr);
                    losses.Add(smoothed);
                    step++;
                    if (finder.EarlyStopThreshold is double threshold && step > 1 && smoothed > threshold * best) step = finder.NumTrainingSteps;
                    else best = Math.Min(best, smoothed);
                }
                if (step == before) throw new MisconfigurationException("LearningRateFinder got no loss from the training dataloader; TrainingStep returned null for every batch.");
            }
        }

        using (no_grad())
        {
            foreach (var (key, parameter) in model.state_dict()) parameter.copy_(weights[key]);
        }
        foreach (var tensor in weights.Values) tensor.Dispose();
        if (optimizer is TorchSharp.Modules.OptimizerHelper helper)
        {
            using var reader = new System.IO.BinaryReader(new System.IO.MemoryStream(optimizerState));
            helper.load_state_dict(reader);
        }
        random.set_rng_state(rngState);

        finder.Record(learningRates, losses);
        if (finder.UpdateLearningRate && finder.SuggestedLearningRate is double suggested)
            foreach (var group in optimizer.ParamGroups) (group.LearningRate, group.InitialLearningRate) = (suggested, suggested);
        Console.WriteLine(finder.SuggestedLearningRate is double lrFound
            ? $"LearningRateFinder: suggested learning rate {lrFound:G3}"
            : "LearningRateFinder: not enough finite losses for a suggestion; the learning rate is unchanged.");
    }
}
