namespace LitGen;

/// <summary>
/// What the loops work with: the hooks, the strategy, the logger connector, the optimizers, the data and checkpoint
/// connectors, the options and messages (Lightning's loops reach the same through <c>trainer.*</c>). The trainer itself is there to be
/// handed to callbacks; the loops own and change only their own progress.
/// </summary>
internal sealed class LoopContext(Trainer trainer, DataConnector data)
{
    public Trainer Trainer => trainer;

    public HookCaller Hooks => trainer.Hooks;

    public Strategy Strategy => trainer.Strategy;

    public LoggerConnector Logging => trainer.LoggerConnector;

    public OptimizerSetup Optimization => trainer.Optimization;

    public DataConnector Data => data;

    public CheckpointConnector Checkpoints => trainer.CheckpointConnector;

    public TrainerOptions Options => trainer.Options;

    public TrainerMessages Messages => trainer.Messages;

    /// <summary>The stop request of the run in progress.</summary>
    public Interruption? Interruption => trainer.Interruption;

    /// <summary>The trainer's own logger (category <c>LitGen.Trainer</c>).</summary>
    public Microsoft.Extensions.Logging.ILogger Log => trainer.Log;
}
