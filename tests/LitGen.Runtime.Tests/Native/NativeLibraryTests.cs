using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Native;

public class NativeLibraryTests
{
    private static string OutputLibrary => Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();

    private static bool HostLacksGlibcxx332 =>
        ElfVersionNeedPatcher.FindHostLibStdCxx() is { } host && !ElfVersionNeedPatcher.FileContainsVersion(host, "GLIBCXX_3.4.32");

    [Fact]
    public void TorchSharp_computes_and_differentiates()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2).requires_grad_();
        var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
        product.sum().backward();
        // d/dA sum(A·A) = 1·Aᵀ + Aᵀ·1 summed over rows/columns.
        Assert.Equal(new float[] { 7, 11, 9, 13 }, a.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Output_copy_is_weak_exactly_when_the_host_lacks_the_version()
    {
        var need = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(OutputLibrary)).Single(n => n.Name == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.Equal(HostLacksGlibcxx332, (need.Flags & 0x2) != 0);
    }

    private static string CachedLibrary => Path.Combine(
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void Nuget_cache_copy_is_never_patched()
    {
        var cached = CachedLibrary;
        Assert.True(File.Exists(cached), $"expected the restored package at {cached}");
        var need = ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(cached)).Single(n => n.Name == "GLIBCXX_3.4.32");
        Assert.Equal(0, need.Flags & 0x2);
    }

    [Fact]
    public void Patch_sets_only_the_weak_flag_of_that_version_and_is_idempotent()
    {
        using var dir = new Support.TempDir();
        var copy = Path.Combine(dir.Path, "lib.so");
        var original = File.ReadAllBytes(OutputLibrary);
        File.WriteAllBytes(copy, original);

        var first = ElfVersionNeedPatcher.MarkVersionNeedWeak(copy, "GLIBCXX_3.4.32");
        var once = File.ReadAllBytes(copy);
        var second = ElfVersionNeedPatcher.MarkVersionNeedWeak(copy, "GLIBCXX_3.4.32");

        Assert.Contains(HostLacksGlibcxx332 ? "already weak" : "marked", first);
        Assert.Equal("GLIBCXX_3.4.32 already weak", second);
        Assert.Equal(once, File.ReadAllBytes(copy));
        var before = ElfVersionNeedPatcher.ReadVersionNeeds(original);
        var after = ElfVersionNeedPatcher.ReadVersionNeeds(once);
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Name, after[i].Name);
            var expected = before[i].Name == "GLIBCXX_3.4.32" ? (ushort)(before[i].Flags | 0x2) : before[i].Flags;
            Assert.Equal(expected, after[i].Flags);
        }
        // Only the two flag bytes may differ.
        Assert.True(original.Zip(once).Count(p => p.First != p.Second) <= 1);
    }

    [Fact]
    public void Patching_a_hard_link_leaves_the_linked_original_untouched()
    {
        // The output copy of a package file can be a hard link into the NuGet cache.
        using var dir = new Support.TempDir();
        var original = Path.Combine(dir.Path, "cache.so");
        var unpatched = File.ReadAllBytes(CachedLibrary);
        File.WriteAllBytes(original, unpatched);
        var link = Path.Combine(dir.Path, "output.so");
        using (var ln = System.Diagnostics.Process.Start("ln", [original, link])) ln.WaitForExit();

        Assert.Equal("marked GLIBCXX_3.4.32 weak", ElfVersionNeedPatcher.MarkVersionNeedWeak(link, "GLIBCXX_3.4.32"));
        Assert.Equal(unpatched, File.ReadAllBytes(original));
        Assert.NotEqual(unpatched, File.ReadAllBytes(link));
    }

    [Fact]
    public void Patch_rejects_a_file_that_is_not_elf()
    {
        using var dir = new Support.TempDir();
        var path = Path.Combine(dir.Path, "not.so");
        File.WriteAllText(path, "definitely not an ELF file, but long enough to have a header of sixty-four bytes...");
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkVersionNeedWeak(path, "GLIBCXX_3.4.32"));
    }
}

/// <summary>The build task itself, as MSBuild runs it after a publish.</summary>
public class PublishPatchTests
{
    [Fact]
    public void After_a_publish_the_need_is_made_weak_even_when_the_build_host_provides_the_version()
    {
        var dir = Directory.CreateTempSubdirectory("litgen-publish-").FullName;
        try
        {
            var library = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single(), library);
            // GLIBCXX_3.4.21 is needed by the library and provided by every current libstdc++, this host's included.
            const string provided = "GLIBCXX_3.4.21";
            var host = ElfVersionNeedPatcher.FindHostLibStdCxx();
            Assert.True(host is not null && ElfVersionNeedPatcher.FileContainsVersion(host, provided));
            bool Weak() => (ElfVersionNeedPatcher.ReadVersionNeeds(File.ReadAllBytes(library)).Single(n => n.Name == provided).Flags & 0x2) != 0;

            Assert.True(new LitGenWeakenElfVersionNeed { Directory = dir, VersionName = provided, BuildEngine = new QuietBuildEngine() }.Execute());
            Assert.False(Weak());
            Assert.True(new LitGenWeakenElfVersionNeed { Directory = dir, VersionName = provided, Always = true, BuildEngine = new QuietBuildEngine() }.Execute());
            Assert.True(Weak());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class QuietBuildEngine : Microsoft.Build.Framework.IBuildEngine
    {
        public bool ContinueOnError => false;
        public int LineNumberOfTaskNode => 0;
        public int ColumnNumberOfTaskNode => 0;
        public string ProjectFileOfTaskNode => "";
        public bool BuildProjectFile(string projectFileName, string[] targetNames, System.Collections.IDictionary globalProperties, System.Collections.IDictionary targetOutputs) => true;
        public void LogCustomEvent(Microsoft.Build.Framework.CustomBuildEventArgs e) { }
        public void LogErrorEvent(Microsoft.Build.Framework.BuildErrorEventArgs e) => throw new InvalidOperationException(e.Message);
        public void LogMessageEvent(Microsoft.Build.Framework.BuildMessageEventArgs e) { }
        public void LogWarningEvent(Microsoft.Build.Framework.BuildWarningEventArgs e) { }
    }
}
