using System;
using System.Collections.Generic;
using System.ComponentModel;
using static TorchSharp.torch;

namespace LitGen;

// Members Lightning modules reach for besides hooks: printing, loggers, the current dataloader, step outputs.
public abstract partial class LightningModule
{
    private object? stepOutputs;

    /// <summary>The loggers of the running trainer (empty outside a run or with <c>Logger = false</c>).</summary>
    public IReadOnlyList<Logger> Loggers => Trainer?.Loggers ?? [];

    /// <summary>The first logger of the running trainer, or null (Lightning's <c>self.logger</c>).</summary>
    public Logger? Logger => Loggers.Count > 0 ? Loggers[0] : null;

    /// <summary>The index of the dataloader the current evaluation or prediction batch comes from (0 with one dataloader, and in training).</summary>
    public int DataloaderIdx { get; internal set; }

    /// <summary>
    /// An input the module's <c>Forward</c> (or <c>forward</c>) accepts: a tensor, or one tensor per parameter;
    /// <see cref="ModelSummary"/> runs it to show each layer's input and output sizes, and <see cref="ToOnnx"/> exports with it.
    /// </summary>
    public object? ExampleInputArray { get; set; }

    /// <summary>Runs <c>forward</c> on an example input (the model summary's sizes).</summary>
    internal virtual object? ForwardExample(object input) => RunForward(input);

    /// <summary>Calls the module's <c>Forward</c> on an example input; generated for each class with one.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected virtual object? RunForward(object example) => throw new MisconfigurationException(
        $"{GetType().Name}.ExampleInputArray is set but the module has no forward to run it through: add `public Tensor Forward(Tensor x)` " +
        "(the steps call it), or derive from LightningModule<TBatch, TInput, TOutput>.");

    /// <summary>Writes a line from the process that writes files only (Lightning's rank-zero <c>self.print</c>).</summary>
    public void Print(string message)
    {
        if (Trainer is null) Console.WriteLine(message);
        else TrainerLog.ModulePrint(Trainer.Messages.Logger(GetType().Name), message);
    }

    /// <summary>
    /// Returns <paramref name="loss"/> from <c>TrainingStep</c> with typed extras (Lightning's <c>{"loss": loss, ...}</c>):
    /// <c>OnTrainBatchEnd</c> and callbacks read them with <see cref="StepOutputs{TOutputs}"/> until the batch ends.
    /// </summary>
    protected Tensor? WithOutputs<TOutputs>(Tensor? loss, TOutputs outputs) where TOutputs : class
    {
        stepOutputs = outputs ?? throw new ArgumentNullException(nameof(outputs));
        return loss;
    }

    /// <summary>The extras the current training step returned with <see cref="WithOutputs{TOutputs}"/>, or null when it returned none.</summary>
    /// <exception cref="InvalidOperationException">The step returned extras of another type.</exception>
    public TOutputs? StepOutputs<TOutputs>() where TOutputs : class => stepOutputs switch
    {
        null => null,
        TOutputs outputs => outputs,
        var other => throw new InvalidOperationException($"The training step returned outputs of type {other.GetType().Name}, not {typeof(TOutputs).Name}."),
    };

    /// <summary>Forgets the step's extras once its batch is done (their tensors are freed with the step).</summary>
    internal void ClearStepOutputs() => stepOutputs = null;
}
