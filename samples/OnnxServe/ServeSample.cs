using System.Diagnostics;
using System.Globalization;
using MnistClassifier;

namespace OnnxServe;

/// <summary>
/// Serves the MNIST sample's exported model without TorchSharp: loads <c>model.onnx</c>, classifies the test digits and
/// prints the accuracy, how long the first digit took from the process's start, and the throughput.
/// </summary>
public static class ServeSample
{
    private const string Usage = "usage: OnnxServe [model.onnx] [--data-dir DIR] [--count N]  (default model: the newest lightning_logs/version_*/checkpoints/model.onnx)";

    /// <summary>Runs the sample; returns the exit code (2: bad arguments or missing files, said on <paramref name="error"/>).</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        string? model = null, dataDir = null;
        int count = int.MaxValue;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data-dir" when i + 1 < args.Length: dataDir = args[++i]; break;
                case "--count" when i + 1 < args.Length && int.TryParse(args[i + 1], out count) && count > 0: i++; break;
                case var path when !path.StartsWith("--", StringComparison.Ordinal) && model is null: model = path; break;
                default:
                    error.WriteLine($"unknown or incomplete option '{args[i]}'; {Usage}");
                    return 2;
            }
        }
        model ??= NewestExport(Directory.GetCurrentDirectory());
        if (model is null || !File.Exists(model))
        {
            error.WriteLine(model is null
                ? "no model.onnx under lightning_logs/: run the MNIST sample first (dotnet run --project samples/MnistClassifier -c Release), or pass the file."
                : $"'{model}' does not exist; {Usage}");
            return 2;
        }

        byte[] images, labels;
        try
        {
            (images, labels) = MnistIdx.Read(dataDir ?? MnistIdx.BundledData(), "t10k");
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            error.WriteLine(e.Message);
            return 2;
        }
        count = Math.Min(count, labels.Length);

        using var classifier = new DigitClassifier(model);
        var first = classifier.Classify(images.AsSpan(0, DigitClassifier.Pixels))[0];
        var coldStart = DateTime.Now - Process.GetCurrentProcess().StartTime;

        var clock = Stopwatch.StartNew();
        int correct = 0;
        for (int start = 0; start < count; start += 256)
        {
            int batch = Math.Min(256, count - start);
            var predictions = classifier.Classify(images.AsSpan(start * DigitClassifier.Pixels, batch * DigitClassifier.Pixels));
            for (int i = 0; i < batch; i++) correct += predictions[i].Digit == labels[start + i] ? 1 : 0;
        }
        clock.Stop();

        output.WriteLine($"model: {model}");
        output.WriteLine($"first digit: {first.Digit} ({first.Confidence:P1}), label {labels[0]}");
        output.WriteLine($"cold start: {coldStart.TotalMilliseconds:0} ms from process start to the first digit classified");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test_acc={(double)correct / count:0.0000} ({correct} of {count} digits)"));
        output.WriteLine($"throughput: {count / clock.Elapsed.TotalSeconds:0} digits/s in batches of 256");
        return 0;
    }

    /// <summary>The newest <c>model.onnx</c> the MNIST sample wrote under <paramref name="directory"/>'s <c>lightning_logs</c>.</summary>
    public static string? NewestExport(string directory)
    {
        var logs = Path.Combine(directory, "lightning_logs");
        return Directory.Exists(logs)
            ? Directory.GetFiles(logs, "model.onnx", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
    }
}
