using System.Globalization;
using GanManualOptimization;

// A GAN with manual optimization (two optimizers, ManualBackward, ToggleOptimizer).
//   dotnet run --project samples/GanManualOptimization -c Release [-- EPOCHS]
int epochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
var result = GanSample.Run(epochs, Directory.GetCurrentDirectory());
Console.WriteLine($"generated radius: mean {result.MeanRadius:0.000} (target 2), std {result.RadiusStd:0.000}; {result.Steps} optimizer steps");
Console.WriteLine($"logs: {result.LogDir}");
