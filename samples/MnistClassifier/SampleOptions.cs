using System.Globalization;

namespace MnistClassifier;

/// <summary>The sample's command line: --data DIR, --epochs N, --root DIR, --devices N, --workers N.</summary>
public sealed record SampleOptions(string DataDir, int Epochs, string RootDir, int Devices = 1, int Workers = 0)
{
    public static SampleOptions Parse(string[] args)
    {
        var options = new SampleOptions(DefaultDataDir(), 8, Directory.GetCurrentDirectory());
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--data" => options with { DataDir = Value() },
                "--epochs" => options with { Epochs = int.TryParse(Value(), CultureInfo.InvariantCulture, out var e) && e > 0 ? e : throw new ArgumentException("--epochs needs a positive integer.") },
                "--root" => options with { RootDir = Value() },
                "--devices" => options with { Devices = int.TryParse(Value(), CultureInfo.InvariantCulture, out var d) && d > 0 ? d : throw new ArgumentException("--devices needs a positive integer.") },
                "--workers" => options with { Workers = int.TryParse(Value(), CultureInfo.InvariantCulture, out var w) && w >= 0 ? w : throw new ArgumentException("--workers needs 0 or a positive integer.") },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --data DIR, --epochs N, --root DIR, --devices N, --workers N."),
            };
        }
        return options;
    }

    // samples/data, found from the build output or the working directory.
    private static string DefaultDataDir()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "samples", "data");
            if (File.Exists(Path.Combine(candidate, "train-images-idx3-ubyte.gz"))) return candidate;
        }
        return Path.Combine(Directory.GetCurrentDirectory(), "samples", "data");
    }
}
