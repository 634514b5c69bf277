using System.Globalization;
using System.Text.Json.Nodes;

namespace LitGen.Extensions.Tests;

/// <summary>
/// A reduced <see cref="ModelCheckpoint"/> as a user would write it from the public API: keeps the best checkpoint by
/// <see cref="Monitor"/> (lower is better), saved after every validation run (mid-epoch ones too) once its batch is
/// done, and remembers the best across a resume.
/// </summary>
public sealed class BestCheckpoint(string dirPath, string monitor) : Callback
{
    private bool validationEnded;

    public string Monitor => monitor;

    public string? BestModelPath { get; private set; }

    public double? BestModelScore { get; private set; }

    // Runs after the module's epoch-end hook, so a value the module logs there counts.
    public override bool IsMonitoring => true;

    public override void OnValidationEnd(Trainer trainer, LightningModule module)
    {
        if (trainer.Stage == Stage.Fit && !trainer.SanityChecking) validationEnded = true;
    }

    // After the batch that ran the validation: a checkpoint written here resumes after that batch.
    public override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
    {
        if (!validationEnded) return;
        validationEnded = false;
        if (!trainer.CallbackMetrics.TryGetValue(Monitor, out var score))
            throw new MisconfigurationException($"BestCheckpoint: '{Monitor}' was not logged.");
        if (BestModelScore is double best && score >= best) return;

        var path = Path.Combine(dirPath, string.Create(CultureInfo.InvariantCulture, $"epoch={trainer.CurrentEpoch}-step={trainer.GlobalStep}.ckpt"));
        var previous = BestModelPath;
        (BestModelPath, BestModelScore) = (path, score);
        trainer.SaveCheckpoint(path);
        // As Lightning, the checkpoint this fit resumed from is never deleted.
        if (previous is not null && previous != path && previous != trainer.CkptPath) trainer.Strategy.RemoveCheckpoint(previous);
        trainer.Messages.Info(nameof(BestCheckpoint), $"{Monitor} = {score} saved to {path}");
    }

    public override JsonObject StateDict() => new() { ["best_model_path"] = BestModelPath, ["best_model_score"] = BestModelScore };

    public override void LoadStateDict(JsonObject state)
    {
        BestModelPath = (string?)state["best_model_path"];
        BestModelScore = (double?)state["best_model_score"];
    }
}

/// <summary>A reduced <see cref="EarlyStopping"/> from the public API: stops when <see cref="Monitor"/> has not improved for <see cref="Patience"/> checks.</summary>
public sealed class PatienceStopping(string monitor, int patience) : Callback
{
    private double best = double.PositiveInfinity;
    private int wait;

    public string Monitor => monitor;

    public int Patience => patience;

    public int? StoppedEpoch { get; private set; }

    public override bool IsMonitoring => true;

    public override void OnValidationEnd(Trainer trainer, LightningModule module)
    {
        if (trainer.Stage != Stage.Fit || trainer.SanityChecking) return;
        double current = trainer.CallbackMetrics[Monitor];
        if (current < best) (best, wait) = (current, 0);
        else wait++;
        // Every process stops together as soon as one of them would.
        if (trainer.Strategy.ReduceBooleanDecision(wait >= Patience, all: false))
        {
            trainer.ShouldStop = true;
            StoppedEpoch = trainer.CurrentEpoch;
        }
    }

    public override JsonObject StateDict() => new() { ["best"] = best, ["wait"] = wait };

    public override void LoadStateDict(JsonObject state) => (best, wait) = ((double)state["best"]!, (int)state["wait"]!);
}
