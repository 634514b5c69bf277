using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Code that runs at the trainer's hook points, before the module's hook of the same name (Lightning's
/// <c>Callback</c>). Every hook (declared in <c>Core/Hooks.cs</c>) is a no-op by default.
/// </summary>
// The trainer looks up which batch hooks a callback overrides; a trimmed app keeps those methods.
[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicMethods)]
public abstract partial class Callback
{
    /// <summary>The key of this callback's state in checkpoints; the type name unless a callback needs several instances.</summary>
    public virtual string StateKey => GetType().Name;

    /// <summary>
    /// True for callbacks that act on monitored metrics at epoch end (checkpointing, early stopping): their
    /// <see cref="OnTrainEpochEnd"/> runs after the module's, so they see what the module logged there (Lightning calls
    /// its <c>Checkpoint</c> and <c>EarlyStopping</c> subclasses this way).
    /// </summary>
    public virtual bool IsMonitoring => false;

    /// <summary>State to store in checkpoints (JSON), or null for none.</summary>
    public virtual JsonObject? StateDict() => null;

    /// <summary>Restores the state from <see cref="StateDict"/> when training resumes from a checkpoint.</summary>
    public virtual void LoadStateDict(JsonObject state) { }

    /// <summary>
    /// After a training batch is completely done: after <see cref="OnTrainBatchEnd"/>, the batch counters, and the
    /// validation run the batch may have triggered. A checkpoint written here resumes after this batch, with that
    /// validation's metrics (where <see cref="ModelCheckpoint"/> saves).
    /// </summary>
    public virtual void OnTrainBatchCompleted(Trainer trainer, LightningModule module) { }

    /// <summary>
    /// After every validation, test or prediction batch (after its <c>On*BatchEnd</c> hooks): <paramref name="done"/>
    /// batches of the dataloader, of <paramref name="total"/> when known (for progress display; the batch is not
    /// passed, so none is boxed).
    /// </summary>
    public virtual void OnEvaluationBatchCompleted(Trainer trainer, Stage stage, int done, int? total) { }

    /// <summary>After a validation, test or prediction run over all its dataloaders, before its epoch-end hooks.</summary>
    public virtual void OnEvaluationCompleted(Trainer trainer, Stage stage) { }
}
