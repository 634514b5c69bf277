using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

// What every entry point shares: attaching the module, setup/teardown, exceptions, batch preparation.
public sealed partial class Trainer
{
    private Stage runningStage;

    // The callbacks that override a per-batch hook: the only ones called per batch, and the batch is boxed for them only.
    private Callback[] batchCallbacks = [];

    private static readonly string[] BatchHooks =
    [
        nameof(Callback.OnTrainBatchStart), nameof(Callback.OnTrainBatchEnd), nameof(Callback.OnValidationBatchStart), nameof(Callback.OnValidationBatchEnd),
        nameof(Callback.OnTestBatchStart), nameof(Callback.OnTestBatchEnd), nameof(Callback.OnPredictBatchStart), nameof(Callback.OnPredictBatchEnd),
    ];

    private static bool OverridesBatchHook(Callback callback)
        => BatchHooks.Any(hook => callback.GetType().GetMethod(hook)!.DeclaringType != typeof(Callback));

    private T Run<TBatch, T>(LightningModule<TBatch> model, Stage stage, LightningDataModule<TBatch>? dataModule, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(model);
        module = model;
        runningStage = stage;
        model.Trainer = this;
        model.EnsureComponentsRegistered();
        callbacks = ResolveCallbacks(model);
        batchCallbacks = callbacks.Where(OverridesBatchHook).ToArray();
        if (Options.Seed is long seed) random.manual_seed(seed);
        try
        {
            dataModule?.PrepareData();
            model.PrepareData();
            dataModule?.Setup(stage);
            foreach (var callback in callbacks) callback.Setup(this, model, stage);
            model.Setup(stage);
            model.ConfigureModel();
            MoveToDevice(model);

            var result = body();

            dataModule?.Teardown(stage);
            foreach (var callback in callbacks) callback.Teardown(this, model, stage);
            model.Teardown(stage);
            foreach (var logger in Loggers) logger.Finalize("success");
            return result;
        }
        catch (Exception exception)
        {
            foreach (var callback in callbacks) callback.OnException(this, model, exception);
            foreach (var logger in Loggers) logger.Finalize("failed");
            throw;
        }
        finally
        {
            model.LogContext = LogContext.None;
            model.ActiveMetrics = null;
            trainMetrics?.Dispose();
            trainMetrics = null;
        }
    }

    private void MoveToDevice(LightningModule model)
    {
        if (floatingPointType != ScalarType.Float32) model.to(floatingPointType);
        model.to(Device);
        model.Device = Device;
    }

    /// <summary>The batch transfer hooks and the precision cast between the dataloader and the step.</summary>
    private TBatch PrepareBatch<TBatch, TDriver>(TDriver driver, TBatch batch, int dataloaderIdx) where TDriver : struct, ILoopDriver<TBatch>
    {
        batch = driver.TransferBatch(batch, Device, dataloaderIdx);
        return floatingPointType == ScalarType.Float32 ? batch : BatchTransfer.CastFloatingPoint(batch, floatingPointType);
    }

    /// <summary>Loads the weights named by <paramref name="ckptPath"/> (<c>"best"</c>, <c>"last"</c> or a path) into the module.</summary>
    private void LoadWeights(LightningModule model, string? ckptPath)
    {
        if (ckptPath is null) return;
        using var checkpoint = Checkpoint.Load(ResolveCheckpointPath(ckptPath));
        checkpoint.EnsureModuleType(model.GetType());
        model.LoadCheckpointState(checkpoint, mapLocation: null, strict: true);
    }

    private static int? CountOf<TBatch>(IEnumerable<TBatch> loader) => loader switch
    {
        IReadOnlyCollection<TBatch> collection => collection.Count,
        System.Collections.ICollection collection => collection.Count,
        _ => null,
    };

    private void EachCallback(Action<Callback> hook)
    {
        foreach (var callback in callbacks) hook(callback);
    }

    private void EachCallback(Action<Callback> hook, bool monitoring)
    {
        foreach (var callback in callbacks)
            if (callback.IsMonitoring == monitoring) hook(callback);
    }

    private static object Box<TBatch>(TBatch batch) => batch!;

    private static IEnumerable<(string, double)> Pairs(IEnumerable<(string Name, string LoggedName, double Value, bool ProgBar, bool Logger)> values)
        => values.Where(v => v.Logger).Select(v => (v.LoggedName, v.Value));
}
