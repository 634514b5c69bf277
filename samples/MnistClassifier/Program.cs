using System.Globalization;
using MnistClassifier;

// The main job: trains LitClassifier on MNIST, tests the best checkpoint, and reloads it.
//   dotnet run --project samples/MnistClassifier -c Release [-- --data DIR --epochs N --root DIR]
var result = MnistSample.Run(SampleOptions.Parse(args));
Console.WriteLine($"test_acc={result.TestAccuracy.ToString("0.0000", CultureInfo.InvariantCulture)}");
Console.WriteLine($"test_loss={result.TestLoss.ToString("0.0000", CultureInfo.InvariantCulture)}");
Console.WriteLine($"logs: {result.LogDir}");
Console.WriteLine($"report: {result.Report}");
Console.WriteLine($"best checkpoint: {result.BestCheckpoint}");
Console.WriteLine($"reloaded: {result.Reloaded}");
