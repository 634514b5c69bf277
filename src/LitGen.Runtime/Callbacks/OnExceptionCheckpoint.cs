using System;
using System.IO;

namespace LitGen;

/// <summary>
/// Saves a checkpoint when a run fails with an exception (Lightning's <c>OnExceptionCheckpoint</c>), so a crash
/// late in training loses nothing. The file is written atomically: a failure while saving leaves no partial file.
/// </summary>
public class OnExceptionCheckpoint : Callback
{
    /// <summary>Creates the callback writing <c>{dirPath}/{filename}.ckpt</c>.</summary>
    public OnExceptionCheckpoint(string dirPath, string filename = "on_exception")
    {
        ArgumentException.ThrowIfNullOrEmpty(dirPath);
        ArgumentException.ThrowIfNullOrEmpty(filename);
        DirPath = dirPath;
        Filename = filename;
    }

    /// <summary>The folder of the checkpoint.</summary>
    public string DirPath { get; }

    /// <summary>The file name without extension.</summary>
    public string Filename { get; }

    /// <summary>The checkpoint path.</summary>
    public string CheckpointPath => Path.Combine(DirPath, Filename + ".ckpt");

    /// <inheritdoc />
    public override void OnException(Trainer trainer, LightningModule module, Exception exception)
    {
        try
        {
            trainer.SaveCheckpoint(CheckpointPath);
            TrainerLog.ExceptionCheckpointSaved(trainer.Messages.Logger(nameof(OnExceptionCheckpoint)), CheckpointPath, exception.GetType().Name, exception.Message);
        }
        catch (Exception saveError) when (saveError is IOException or UnauthorizedAccessException or InvalidOperationException or NotSupportedException)
        {
            // The original exception is what the user must see; the failed save is reported beside it.
            TrainerLog.ExceptionCheckpointFailed(trainer.Messages.Logger(nameof(OnExceptionCheckpoint)), saveError, CheckpointPath, saveError.Message);
        }
    }
}
