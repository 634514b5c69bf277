using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace LitGen.Benchmarks;

/// <summary>
/// Benchmarks run in this process: it already loads libtorch with LitGen's compatibility step, which a project that
/// BenchmarkDotNet generates and builds elsewhere would not get.
/// </summary>
public sealed class TrainingConfig : ManualConfig
{
    public TrainingConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithWarmupCount(3)
            .WithIterationCount(25)
            .WithInvocationCount(1)
            .WithUnrollFactor(1));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>In-process, with BenchmarkDotNet's own invocation counts, for the fast compiler benchmarks.</summary>
public sealed class CompilerConfig : ManualConfig
{
    public CompilerConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(10));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
