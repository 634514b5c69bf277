using BenchmarkDotNet.Running;
using LitGen.Benchmarks;

// dotnet run -c Release --project bench/LitGen.Benchmarks -- [BenchmarkDotNet arguments, e.g. --filter *Trainer*]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- paired [--rounds 30]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- fixed [--rounds 40]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- soak [--steps 5000] [--workers N] [--full] [--gc-pressure]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- ddp --processes 1|2 [--steps 300]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- ddp-sync [--values 10] [--rounds 10] [--steps 1000]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- data --workers 0|2 [--steps 150]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- tensorboard [--rounds 5] [--scalars 20000] [--histograms 200]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- scalars [--seconds 20]
// dotnet run -c Release --project bench/LitGen.Benchmarks -- precision [--rounds 8] [--steps 100]
switch (args.FirstOrDefault())
{
    case "paired":
        Paired.Run(args.Skip(1).ToArray());
        return;
    case "fixed":
        FixedCost.Run(args.Skip(1).ToArray());
        return;
    case "soak":
        Soak.Run(args.Skip(1).ToArray());
        return;
    case "data":
        DataPipeline.Run(args.Skip(1).ToArray());
        return;
    case "precision":
        MixedPrecision.Run(args.Skip(1).ToArray());
        return;
    case "scalars":
        ScalarRace.Run(args.Skip(1).ToArray());
        return;
    case "tensorboard":
        TensorBoardWriters.Run(args.Skip(1).ToArray());
        return;
    case "ddp":
        DataParallel.Run(args.Skip(1).ToArray());
        return;
    case "ddp-sync":
        SyncedLogging.Run(args.Skip(1).ToArray());
        return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
