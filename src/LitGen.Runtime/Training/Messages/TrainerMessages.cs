using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using Microsoft.Extensions.Logging;

namespace LitGen;

/// <summary>
/// Where the trainer and its callbacks say things: the console by default (information to standard output, warnings to
/// standard error), or, with <see cref="TrainerOptions.LoggerFactory"/>, an <see cref="ILogger"/> per source
/// (<c>LitGen.Trainer</c>, <c>LitGen.ModelCheckpoint</c>, …) for hosted apps, services and notebooks. Every built-in
/// message has a stable EventId (<see cref="TrainerEventIds"/>) and named properties. Only the process of rank 0 speaks.
/// Callbacks write here as the built-in ones do: <see cref="Info"/>/<see cref="Warn"/>, or their own source-generated
/// <c>[LoggerMessage]</c> methods on <see cref="Logger"/>.
/// </summary>
public sealed class TrainerMessages
{
    private readonly ILoggerFactory? factory;
    private readonly Func<bool> isGlobalZero;
    private readonly HashSet<string> said = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ILogger> loggers = new(StringComparer.Ordinal);

    internal TrainerMessages(ILoggerFactory? factory, Func<bool> isGlobalZero) => (this.factory, this.isGlobalZero) = (factory, isGlobalZero);

    /// <summary>True when messages go to <see cref="TrainerOptions.LoggerFactory"/> rather than the console.</summary>
    public bool UsesLogger => factory is not null;

    /// <summary>
    /// The logger of <paramref name="source"/> (category <c>LitGen.</c><paramref name="source"/>): the factory's, or one
    /// that writes to the console; it is enabled on rank 0 only, so a ddp job says each thing once.
    /// </summary>
    public ILogger Logger(string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        return loggers.GetOrAdd(source, name => new RankZeroLogger(factory?.CreateLogger("LitGen." + name) ?? ConsoleLogger.Instance, isGlobalZero));
    }

    /// <summary>An information message of <paramref name="source"/> (a callback's name; EventId <see cref="TrainerEventIds.CallbackInfo"/>).</summary>
    public void Info(string source, string message) => TrainerLog.CallbackInfo(Logger(source), message);

    /// <summary>A warning of <paramref name="source"/> (EventId <see cref="TrainerEventIds.CallbackWarning"/>).</summary>
    public void Warn(string source, string message) => TrainerLog.CallbackWarning(Logger(source), message);

    /// <summary>A warning said once per trainer, however often it recurs (Lightning's <c>WarningCache</c>).</summary>
    public void WarnOnce(string source, string message)
    {
        if (FirstTime(message)) Warn(source, message);
    }

    /// <summary>True the first time <paramref name="key"/> is asked for on this trainer: for messages said once.</summary>
    internal bool FirstTime(string key)
    {
        lock (said) return said.Add(key);
    }

    /// <summary>The console as a logger: the rendered message, warnings prefixed and on standard error.</summary>
    private sealed class ConsoleLogger : ILogger
    {
        public static readonly ConsoleLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Read at each message: a test or a host may redirect the console between runs.
            TextWriter writer = logLevel >= LogLevel.Warning ? Console.Error : Console.Out;
            writer.WriteLine((logLevel >= LogLevel.Warning ? "Warning: " : "") + formatter(state, exception));
        }
    }

    /// <summary>Lets rank 0 speak; every other process is silent (and formats nothing).</summary>
    private sealed class RankZeroLogger(ILogger inner, Func<bool> isGlobalZero) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => isGlobalZero() && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (isGlobalZero()) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
