namespace LitGen.Tests.Shared;

/// <summary>A test that runs only where Open MPI's mpirun is installed (.ci/run installs it), and says so where it is not.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (!Available) Skip = "needs Open MPI (apt install openmpi-bin; .ci/run installs it): ddp tests start real processes under mpirun";
    }

    public static bool Available { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "mpirun")));
}

/// <summary>A theory that runs only where Open MPI's mpirun is installed, as <see cref="MpiFactAttribute"/>.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (!MpiFactAttribute.Available) Skip = "needs Open MPI (apt install openmpi-bin; .ci/run installs it): ddp tests start real processes under mpirun";
    }
}
