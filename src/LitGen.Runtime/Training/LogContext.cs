namespace LitGen;

/// <summary>Where a <c>Log</c> call comes from; decides Lightning's default <c>onStep</c>/<c>onEpoch</c>.</summary>
internal enum LogContext
{
    /// <summary>Not inside a hook that can log: <c>Log</c> throws.</summary>
    None,
    /// <summary>TrainingStep, train batch hooks, backward/optimizer hooks: per step by default.</summary>
    TrainingStep,
    /// <summary>Validation/test steps and their batch hooks: per epoch by default.</summary>
    EvaluationStep,
    /// <summary>On*Start/On*End and epoch hooks: per epoch only.</summary>
    EpochHook,
}
