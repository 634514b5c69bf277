namespace LitGen.Tests.Shared;

/// <summary>Locates the repository from a test assembly's output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "LitGen.sln"))) return directory.FullName;
        throw new InvalidOperationException("LitGen.sln not found above the test assembly.");
    }
}
