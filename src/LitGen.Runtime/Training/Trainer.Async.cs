using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using static TorchSharp.torch;

namespace LitGen;

// The entry points for hosts (ASP.NET, worker services, UIs): each run happens on a thread of its own, never on the
// thread pool, whose threads a run of minutes or hours would starve, and never on the caller's UI thread.
public sealed partial class Trainer
{
    /// <summary>
    /// <see cref="Fit{TBatch}(LightningModule{TBatch}, IEnumerable{TBatch}?, IEnumerable{TBatch}?, string?, CancellationToken)"/>
    /// on a dedicated thread. Cancelling <paramref name="cancellationToken"/> stops the fit at the next batch boundary;
    /// the task is then cancelled with an <see cref="OperationCanceledException"/> that carries that token, and
    /// <see cref="LastFitResult"/> holds what the fit reached.
    /// </summary>
    public Task<FitResult> FitAsync<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? train = null, IEnumerable<TBatch>? val = null, string? ckptPath = null,
        CancellationToken cancellationToken = default)
        => OnTrainingThread(nameof(Fit), () => Fit(model, train, val, ckptPath, cancellationToken));

    /// <summary><see cref="Fit{TBatch}(LightningModule{TBatch}, LightningDataModule{TBatch}, string?, CancellationToken)"/> on a dedicated thread (see <see cref="FitAsync{TBatch}(LightningModule{TBatch}, IEnumerable{TBatch}?, IEnumerable{TBatch}?, string?, CancellationToken)"/>).</summary>
    public Task<FitResult> FitAsync<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null, CancellationToken cancellationToken = default)
        => OnTrainingThread(nameof(Fit), () => Fit(model, datamodule, ckptPath, cancellationToken));

    /// <summary><see cref="Validate{TBatch}(LightningModule{TBatch}, IEnumerable{TBatch}?, string?, bool, CancellationToken)"/> on a dedicated thread.</summary>
    public Task<IReadOnlyList<IReadOnlyDictionary<string, double>>> ValidateAsync<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null,
        string? ckptPath = null, bool verbose = true, CancellationToken cancellationToken = default)
        => OnTrainingThread(nameof(Validate), () => Validate(model, dataloader, ckptPath, verbose, cancellationToken));

    /// <summary><see cref="Validate{TBatch}(LightningModule{TBatch}, LightningDataModule{TBatch}, string?, bool, CancellationToken)"/> on a dedicated thread.</summary>
    public Task<IReadOnlyList<IReadOnlyDictionary<string, double>>> ValidateAsync<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule,
        string? ckptPath = null, bool verbose = true, CancellationToken cancellationToken = default)
        => OnTrainingThread(nameof(Validate), () => Validate(model, datamodule, ckptPath, verbose, cancellationToken));

    /// <summary><see cref="Test{TBatch}(LightningModule{TBatch}, IEnumerable{TBatch}?, string?, bool, CancellationToken)"/> on a dedicated thread.</summary>
    public Task<IReadOnlyList<IReadOnlyDictionary<string, double>>> TestAsync<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null,
        string? ckptPath = null, bool verbose = true, CancellationToken cancellationToken = default)
        => OnTrainingThread(nameof(Test), () => Test(model, dataloader, ckptPath, verbose, cancellationToken));

    /// <summary><see cref="Test{TBatch}(LightningModule{TBatch}, LightningDataModule{TBatch}, string?, bool, CancellationToken)"/> on a dedicated thread.</summary>
    public Task<IReadOnlyList<IReadOnlyDictionary<string, double>>> TestAsync<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule,
        string? ckptPath = null, bool verbose = true, CancellationToken cancellationToken = default)
        => OnTrainingThread(nameof(Test), () => Test(model, datamodule, ckptPath, verbose, cancellationToken));

    /// <summary><see cref="Predict{TBatch}(LightningModule{TBatch}, IEnumerable{TBatch}?, string?, bool, CancellationToken)"/> on a dedicated thread; the caller owns the predictions.</summary>
    public Task<IReadOnlyList<Tensor>> PredictAsync<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null, string? ckptPath = null,
        bool returnPredictions = true, CancellationToken cancellationToken = default)
        => OnTrainingThread(nameof(Predict), () => Predict(model, dataloader, ckptPath, returnPredictions, cancellationToken));

    /// <summary><see cref="Predict{TBatch}(LightningModule{TBatch}, LightningDataModule{TBatch}, string?, bool, CancellationToken)"/> on a dedicated thread; the caller owns the predictions.</summary>
    public Task<IReadOnlyList<Tensor>> PredictAsync<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null,
        bool returnPredictions = true, CancellationToken cancellationToken = default)
        => OnTrainingThread(nameof(Predict), () => Predict(model, datamodule, ckptPath, returnPredictions, cancellationToken));

    /// <summary>
    /// Runs <paramref name="run"/> on a new thread and completes when it returns. The outcome crosses threads as a value
    /// and is rethrown here, inside an async method, so that a cancellation makes the task Canceled while the caller still
    /// catches the run's own <see cref="OperationCanceledException"/> (its message, the caller's token).
    /// </summary>
    private static async Task<T> OnTrainingThread<T>(string entryPoint, Func<T> run)
    {
        var outcome = new TaskCompletionSource<(T? Result, ExceptionDispatchInfo? Error)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                outcome.SetResult((run(), null));
            }
            catch (Exception error)
            {
                outcome.SetResult((default, ExceptionDispatchInfo.Capture(error)));
            }
        })
        { IsBackground = true, Name = $"LitGen {entryPoint}" };
        thread.Start();
        var (result, failure) = await outcome.Task.ConfigureAwait(false);
        failure?.Throw();
        return result!;
    }
}
