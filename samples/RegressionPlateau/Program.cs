using System.Globalization;
using RegressionPlateau;

// Regression with ReduceLROnPlateau, EarlyStopping and LearningRateMonitor.
//   dotnet run --project samples/RegressionPlateau -c Release [-- MAX_EPOCHS]
int maxEpochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
var result = RegressionSample.Run(maxEpochs, Directory.GetCurrentDirectory());
Console.WriteLine($"val_loss={result.ValLoss.ToString("0.00000", CultureInfo.InvariantCulture)} after {result.Epochs} epochs; final learning rate {result.FinalLearningRate:G3}");
Console.WriteLine(result.StoppingReason ?? "reached MaxEpochs");
Console.WriteLine($"logs: {result.LogDir}");
