using System;
using System.IO;
using System.Text;
using Microsoft.Extensions.Logging;

namespace LitGen;

/// <summary>
/// Where the trainer and its callbacks say things: the console by default (information to standard output, warnings to
/// standard error), or, with <see cref="TrainerOptions.LoggerFactory"/>, an <see cref="ILogger"/> per source
/// (<c>LitGen.Trainer</c>, <c>LitGen.ModelCheckpoint</c>, …) for hosted apps, services and notebooks. Only the process of
/// rank 0 speaks.
/// </summary>
internal sealed class TrainerMessages(ILoggerFactory? factory, Func<bool> isGlobalZero)
{
    public bool UsesLogger => factory is not null;

    public void Info(string source, string message)
    {
        if (!isGlobalZero()) return;
        if (factory is null) Console.WriteLine(message);
        else factory.CreateLogger("LitGen." + source).LogInformation("{Message}", message);
    }

    public void Warn(string source, string message)
    {
        if (!isGlobalZero()) return;
        if (factory is null) Console.Error.WriteLine("Warning: " + message);
        else factory.CreateLogger("LitGen." + source).LogWarning("{Message}", message);
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
