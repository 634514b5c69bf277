using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Extensions.Logging;

namespace LitGen;

/// <summary>
/// Where the trainer and its callbacks say things: the console by default (information to standard output, warnings to
/// standard error), or, with <see cref="TrainerOptions.LoggerFactory"/>, an <see cref="ILogger"/> per source
/// (<c>LitGen.Trainer</c>, <c>LitGen.ModelCheckpoint</c>, …) for hosted apps, services and notebooks. Only the process of
/// rank 0 speaks. Callbacks write here as the built-in ones do (<c>trainer.Messages.Info(nameof(MyCallback), …)</c>).
/// </summary>
public sealed class TrainerMessages
{
    private readonly ILoggerFactory? factory;
    private readonly Func<bool> isGlobalZero;
    private readonly HashSet<string> warned = new(StringComparer.Ordinal);

    internal TrainerMessages(ILoggerFactory? factory, Func<bool> isGlobalZero) => (this.factory, this.isGlobalZero) = (factory, isGlobalZero);

    /// <summary>True when messages go to <see cref="TrainerOptions.LoggerFactory"/> rather than the console.</summary>
    public bool UsesLogger => factory is not null;

    /// <summary>An information message of <paramref name="source"/> (a callback's or the trainer's name).</summary>
    public void Info(string source, string message)
    {
        if (!isGlobalZero()) return;
        if (factory is null) Console.WriteLine(message);
        else factory.CreateLogger("LitGen." + source).LogInformation("{Message}", message);
    }

    /// <summary>A warning of <paramref name="source"/>.</summary>
    public void Warn(string source, string message)
    {
        if (!isGlobalZero()) return;
        if (factory is null) Console.Error.WriteLine("Warning: " + message);
        else factory.CreateLogger("LitGen." + source).LogWarning("{Message}", message);
    }

    /// <summary>A warning said once per trainer, however often it recurs (Lightning's <c>WarningCache</c>).</summary>
    public void WarnOnce(string source, string message)
    {
        bool first;
        lock (warned) first = warned.Add(message);
        if (first) Warn(source, message);
    }

    /// <summary>A writer whose lines become information messages of <paramref name="source"/> (for the progress bar).</summary>
    public TextWriter Writer(string source) => factory is null ? Console.Out : new LineWriter(line => Info(source, line));

    /// <summary>Collects written text and hands over each completed line.</summary>
    private sealed class LineWriter(Action<string> line) : TextWriter
    {
        private readonly StringBuilder pending = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                line(pending.ToString().TrimEnd('\r'));
                pending.Clear();
            }
            else pending.Append(value);
        }
    }
}
