using System.Diagnostics;
using TorchSharp;

namespace LitGen.Benchmarks;

/// <summary>
/// The race behind "Expected false to be true … toDouble … THSTensor_div_scalar" (issue 22): TorchSharp 0.107 passes a
/// Scalar to libtorch by handle without keeping the object alive, so a temporary one (<c>tensor / 4</c>) can be
/// finalized by the GC while libtorch reads it. With a thread forcing collections, count the failures of a temporary
/// Scalar against a Scalar held by <c>using</c> (what LitGen's runtime does everywhere; ScalarLifetimeTests).
/// </summary>
public static class ScalarRace
{
    public static void Run(string[] args)
    {
        int seconds = BenchArgs.Option(args, "--seconds", 20);
        using var tensor = torch.ones(1);
        foreach (var (label, divide) in new (string, Func<torch.Tensor>)[]
        {
            ("temporary Scalar (tensor / 4)", () => tensor / 4),
            ("Scalar held by using", () =>
            {
                using var four = 4.ToScalar();
                return tensor / four;
            }),
        })
        {
            var (operations, failures) = Hammer(divide, TimeSpan.FromSeconds(seconds));
            Console.WriteLine($"{label}: {failures} failures in {operations} divisions");
        }
    }

    private static (long Operations, int Failures) Hammer(Func<torch.Tensor> divide, TimeSpan duration)
    {
        bool stop = false;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        collector.Start();
        long operations = 0;
        int failures = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            try
            {
                using var result = divide();
                operations++;
            }
            catch (System.Runtime.InteropServices.ExternalException)
            {
                failures++;
            }
        }
        Volatile.Write(ref stop, true);
        collector.Join();
        return (operations, failures);
    }
}
