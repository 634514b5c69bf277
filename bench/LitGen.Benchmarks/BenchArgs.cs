using System.Globalization;

namespace LitGen.Benchmarks;

/// <summary>The benchmarks' <c>--name value</c> options.</summary>
public static class BenchArgs
{
    public static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
