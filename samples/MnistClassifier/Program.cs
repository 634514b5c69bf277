using System.Globalization;
using MnistClassifier;

// The main job: trains LitClassifier on MNIST, tests the best checkpoint, and reloads it.
//   dotnet run --project samples/MnistClassifier -c Release [-- --data DIR --epochs N --root DIR --workers N --devices N]
SampleOptions options;
MnistSample.Result result;
try
{
    options = SampleOptions.Parse(args);
    result = MnistSample.Run(options);
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidDataException)
{
    // A wrong option or missing data is the user's to fix: say what, without a stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
Console.WriteLine($"test_acc={result.TestAccuracy.ToString("0.0000", CultureInfo.InvariantCulture)}");
Console.WriteLine($"test_loss={result.TestLoss.ToString("0.0000", CultureInfo.InvariantCulture)}");
Console.WriteLine($"logs: {result.LogDir}");
Console.WriteLine($"report: {result.Report}");
Console.WriteLine($"best checkpoint: {result.BestCheckpoint}");
Console.WriteLine($"reloaded: {result.Reloaded}");
return 0;
