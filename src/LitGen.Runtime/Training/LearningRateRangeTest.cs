using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The learning-rate range test of <see cref="LearningRateFinder"/> (Lightning's <c>lr_find</c>): trains with a rising
/// learning rate through the real optimization step (hooks, clipping, the strategy), records the smoothed loss, then
/// restores the weights, the optimizer, the step count and the random generator, so training starts as it would have.
/// </summary>
internal sealed class LearningRateRangeTest(LoopContext context, AutomaticOptimization automatic)
{
    public void Run<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, IEnumerable<TBatch> trainLoader, LearningRateFinder finder)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        finder.Validate();
        var optimization = context.Optimization;
        if (!module.AutomaticOptimization || optimization.Optimizers.Length != 1)
            throw new MisconfigurationException("LearningRateFinder needs automatic optimization with one optimizer.");
        if (finder.UpdateLearningRate && optimization.Schedulers.Length > 0)
            throw new MisconfigurationException(
                "LearningRateFinder cannot update the learning rate: ConfigureOptimizers also built schedulers with the original rate. " +
                "Set UpdateLearningRate = false, read SuggestedLearningRate, and construct the module with it.");

        var optimizer = optimization.Optimizers[0].Optimizer;
        var weights = module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        var optimizerState = OptimizerSetup.SerializeOptimizer(optimizer);
        long steps = automatic.Progress.Steps;
        using var rngState = random.get_rng_state();

        var (learningRates, losses) = Sweep(module, driver, trainLoader, finder, optimizer);

        using (no_grad())
        {
            foreach (var (key, parameter) in module.state_dict()) parameter.copy_(weights[key]);
        }
        foreach (var tensor in weights.Values) tensor.Dispose();
        OptimizerSetup.RestoreOptimizer(optimizer, new System.IO.MemoryStream(optimizerState));
        automatic.Progress.Steps = steps;
        random.set_rng_state(rngState);

        finder.Record(learningRates, losses);
        if (finder.UpdateLearningRate && finder.SuggestedLearningRate is double suggested)
            foreach (var group in optimizer.ParamGroups) (group.LearningRate, group.InitialLearningRate) = (suggested, suggested);
        var logger = context.Messages.Logger(nameof(LearningRateFinder));
        if (finder.SuggestedLearningRate is double lrFound) TrainerLog.LearningRateSuggested(logger, lrFound);
        else TrainerLog.NoLearningRateSuggestion(logger);
    }

    private (List<double> LearningRates, List<double> Losses) Sweep<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver,
        IEnumerable<TBatch> trainLoader, LearningRateFinder finder, optim.Optimizer optimizer) where TDriver : struct, ILoopDriver<TBatch>
    {
        var learningRates = new List<double>();
        var losses = new List<double>();
        using var metrics = new MetricStore(context.Strategy, context.Messages);
        double average = 0, best = double.PositiveInfinity;
        const double beta = 0.98;
        module.train();
        int step = 0;
        while (step < finder.NumTrainingSteps)
        {
            int before = step;
            using var batches = new BatchIterator<TBatch>(trainLoader, DataConnector.CountOf(trainLoader));
            while (step < finder.NumTrainingSteps)
            {
                using var scope = NewDisposeScope();
                if (!batches.MoveNext(scope)) break;
                double lr = finder.LearningRateAt(step);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                var batch = context.Strategy.PrepareBatch(driver, batches.Current, 0);
                metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
                Tensor? loss;
                using (context.Hooks.Logging(ModuleHooks.TrainingStep, metrics))
                {
                    using (context.Strategy.StepScope()) loss = driver.TrainingStep(batch, batches.Index);
                    metrics.SyncStepValues();
                    if (loss is not null) automatic.RunSingle(module, loss, step);
                }
                metrics.EndStep();
                if (loss is null) continue;

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
        return (learningRates, losses);
    }
}
