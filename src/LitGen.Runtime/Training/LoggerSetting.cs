using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace LitGen;

/// <summary>
/// <see cref="TrainerOptions.Logger"/>: the default loggers, none (<c>false</c>), one logger, or several
/// (<c>[csv, tensorboard]</c>).
/// </summary>
[CollectionBuilder(typeof(LoggerSetting), nameof(Create))]
public readonly struct LoggerSetting : IEnumerable<Logger>
{
    private readonly Logger[]? loggers;
    private readonly bool disabled;

    private LoggerSetting(Logger[]? loggers, bool disabled)
    {
        this.loggers = loggers;
        this.disabled = disabled;
    }

    /// <summary>CSV and TensorBoard loggers under <c>{DefaultRootDir}/lightning_logs/version_N</c>.</summary>
    public static LoggerSetting Default => default;

    /// <summary>No logging.</summary>
    public static LoggerSetting None => new(null, disabled: true);

    /// <summary>True when the trainer should create its default loggers.</summary>
    public bool IsDefault => loggers is null && !disabled;

    /// <summary>Builds the setting from a collection expression.</summary>
    public static LoggerSetting Create(ReadOnlySpan<Logger> loggers)
    {
        foreach (var logger in loggers) ArgumentNullException.ThrowIfNull(logger);
        return new(loggers.ToArray(), disabled: false);
    }

    /// <summary>One logger.</summary>
    public static implicit operator LoggerSetting(Logger logger) => Create([logger ?? throw new ArgumentNullException(nameof(logger))]);

    /// <summary>Several loggers.</summary>
    public static implicit operator LoggerSetting(Logger[] loggers) => Create(loggers);

    /// <summary><c>true</c>: the default loggers; <c>false</c>: none.</summary>
    public static implicit operator LoggerSetting(bool enabled) => enabled ? Default : None;

    /// <summary>The configured loggers (empty for the default and for none).</summary>
    public IEnumerator<Logger> GetEnumerator() => ((IEnumerable<Logger>)(loggers ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
