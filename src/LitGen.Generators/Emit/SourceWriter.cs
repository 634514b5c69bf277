using System.Text;

namespace LitGen.Generators.Emit;

/// <summary>A small indenting writer for generated C#; lines end with \n on every platform.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder text = new();
    private int indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0) text.Append(' ', indent * 4).Append(line);
        text.Append('\n');
        return this;
    }

    public SourceWriter Open(string header)
    {
        Line(header);
        Line("{");
        indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        indent--;
        return Line("}" + suffix);
    }

    public override string ToString() => text.ToString();
}
